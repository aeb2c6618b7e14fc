"""Masking personal data (emails, IPs, license keys) in values shown to people."""

from __future__ import annotations

import re
from typing import Any

_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[\w.+-]+@([\w-]+\.)+[\w-]+"), "***@***"),
    (re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "***.***.***.***"),
    (re.compile(r"\b(?:[0-9a-fA-F]{1,4}:){2,7}[0-9a-fA-F]{1,4}\b"), "****:****"),
    (re.compile(r"\bLK(?:-[0-9A-Z]{4}){3}\b"), "LK-****-****-****"),
)


def mask_text(text: str) -> str:
    """``text`` with every email, IP address and license key replaced by a mask."""
    for pattern, mask in _PATTERNS:
        text = pattern.sub(mask, text)
    return text


def mask_value(value: Any, personal: bool = False) -> Any:
    """A value fit to show: personal columns are masked whole, strings by pattern."""
    if value is None:
        return None
    if personal:
        return "***"
    return mask_text(value) if isinstance(value, str) else value


def mask_labels(segment: dict[str, str] | None) -> dict[str, str] | None:
    """Segment labels (version, deploy type...) fit to show: masked exactly as values are."""
    return None if segment is None else {k: mask_text(v) for k, v in segment.items()}


def mask_row(row: dict[str, Any], personal_columns: set[str]) -> dict[str, Any]:
    return {k: mask_value(v, k in personal_columns) for k, v in row.items()}
