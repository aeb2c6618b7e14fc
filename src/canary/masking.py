"""Masking personal data (emails, IPs, license keys) in values shown to people.

Every pattern runs in time linear in the text: an email's local part may only start where
no local-part character precedes it, so a long run of word characters is scanned once, not
once per start position. A pattern runs only on text holding the character it cannot match
without, so most labels are scanned by none.
"""

from __future__ import annotations

import re
import string
from collections.abc import Iterator
from typing import Any

#: (a string every match holds, the pattern, its mask)
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("@", re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)+[\w-]+"), "***@***"),
    (".", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "***.***.***.***"),
    (":", re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b"), "****:****"),
    ("LK-", re.compile(r"LK(?<!\wLK)(?:-[0-9A-Z]{4}){3}\b"), "LK-****-****-****"),
)


_SCHEME = frozenset(string.ascii_letters + string.digits + "+.-")
_AUTHORITY_ENDS = frozenset("/?#'\"()<>[] \t\r\n")


def _authorities(text: str) -> Iterator[tuple[int, int]]:
    """Spans of ``scheme://user@host:port`` in ``text``: where a service is, not personal
    data (a warehouse at 10.0.0.5 is no one's address). Found in one pass."""
    at = text.find("://")
    while at != -1:
        start = at
        while start > 0 and text[start - 1] in _SCHEME:
            start -= 1
        end = at + 3
        while end < len(text) and text[end] not in _AUTHORITY_ENDS:
            end += 1
        if start < at:
            yield start, end
        at = text.find("://", end)


def _mask(text: str) -> str:
    for needed, pattern, mask in _PATTERNS:
        if needed in text:
            text = pattern.sub(mask, text)
    return text


def mask_text(text: str) -> str:
    """``text`` with every email, IP address and license key replaced by a mask, except
    in the ``scheme://user@host:port`` part of a URL (passwords are hidden elsewhere)."""
    if "://" not in text:
        return _mask(text)
    parts, last = [], 0
    for start, end in _authorities(text):
        parts += [_mask(text[last:start]), text[start:end]]
        last = end
    return "".join([*parts, _mask(text[last:])])


def mask_value(value: Any, personal: bool = False) -> Any:
    """A value fit to show: personal columns are masked whole, strings by pattern."""
    if value is None:
        return None
    if personal:
        return "***"
    return mask_text(value) if isinstance(value, str) else value


def mask_row(row: dict[str, Any], personal_columns: set[str]) -> dict[str, Any]:
    return {k: mask_value(v, k in personal_columns) for k, v in row.items()}
