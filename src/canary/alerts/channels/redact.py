"""Keeping secrets (bot token, webhook URL) out of logs, errors and stored text."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit


class Redactor(logging.Filter):
    """Replaces every known secret in a log record (and in any text) with ``***``."""

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        super().__init__()
        self.secrets: list[str] = []
        self.add(secrets)

    def add(self, secrets: Iterable[str]) -> None:
        """Know ``secrets`` too (a URL's path as well: it is the secret part of a webhook)."""
        found = set(self.secrets)
        for secret in secrets:
            if not secret:
                continue
            found.add(secret)
            path = urlsplit(secret).path if "://" in secret else ""
            if len(path) > 8:
                found.add(path)
        self.secrets = sorted(found, key=len, reverse=True)

    def scrub(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        clean = self.scrub(message)
        if clean != message:
            record.msg, record.args = clean, ()
        return True
