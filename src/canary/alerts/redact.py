"""Keeping secrets (bot token, webhook URL) out of logs, errors and stored text."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from urllib.parse import urlsplit


class Redactor(logging.Filter):
    """Replaces every known secret in a log record (and in any text) with ``***``."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        found: list[str] = []
        for secret in secrets:
            if not secret:
                continue
            found.append(secret)
            path = urlsplit(secret).path if "://" in secret else ""
            if len(path) > 8:
                found.append(path)
        self.secrets = sorted(set(found), key=len, reverse=True)

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


def guarded_logger(name: str, redactor: Redactor) -> logging.Logger:
    """The logger handed to a Slack client, with ``redactor`` as its only filter."""
    logger = logging.getLogger(name)
    for old in [f for f in logger.filters if isinstance(f, Redactor)]:
        logger.removeFilter(old)
    logger.addFilter(redactor)
    return logger
