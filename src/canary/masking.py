"""Masking personal data (emails, IPs, license keys) in values shown to people.

Every pattern runs in time linear in the text: an email's local part may only start where
no local-part character precedes it, so a long run of word characters is scanned once, not
once per start position. A pattern runs only on text holding the character it cannot match
without, so most labels are scanned by none.
"""

from __future__ import annotations

import re
from typing import Any

#: (a string every match holds, the pattern, its mask)
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("@", re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)+[\w-]+"), "***@***"),
    (".", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "***.***.***.***"),
    (":", re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b"), "****:****"),
    ("LK-", re.compile(r"LK(?<!\wLK)(?:-[0-9A-Z]{4}){3}\b"), "LK-****-****-****"),
)


def mask_text(text: str) -> str:
    """``text`` with every email, IP address and license key replaced by a mask."""
    for needed, pattern, mask in _PATTERNS:
        if needed in text:
            text = pattern.sub(mask, text)
    return text


def mask_value(value: Any, personal: bool = False) -> Any:
    """A value fit to show: personal columns are masked whole, strings by pattern."""
    if value is None:
        return None
    if personal:
        return "***"
    return mask_text(value) if isinstance(value, str) else value


def mask_row(row: dict[str, Any], personal_columns: set[str]) -> dict[str, Any]:
    return {k: mask_value(v, k in personal_columns) for k, v in row.items()}
