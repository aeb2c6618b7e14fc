"""Masking personal data (emails, IPs, license keys) and secrets (API tokens, long hex keys)
in values shown to people.

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

_HEX = "[0-9a-fA-F]"
_GROUPS = rf"{_HEX}{{1,4}}(?::{_HEX}{{1,4}}){{0,6}}"
#: An IPv6 address, whole (``fe80:0:0:0:0:0:0:1``) or compressed (``2001:db8::1``, ``::1``).
_IPV6 = rf"(?:{_HEX}{{1,4}}:){{2,7}}{_HEX}{{1,4}}|{_GROUPS}::(?:{_GROUPS})?|::{_GROUPS}"

#: (a string every match holds, the pattern, its mask). A token keeps its kind (``xoxb-``,
#: ``ghp_``), which is no secret; a long hex key (32 digits and letters and more) is masked
#: whole.
_PATTERNS: tuple[tuple[str, re.Pattern[str], str], ...] = (
    ("@", re.compile(r"(?<![\w.+-])[\w.+-]+@(?:[\w-]+\.)+[\w-]+"), "***@***"),
    (".", re.compile(r"\b\d{1,3}(?:\.\d{1,3}){3}\b"), "***.***.***.***"),
    (":", re.compile(rf"(?<![\w:])(?:{_IPV6})(?![\w:])"), "****:****"),
    ("LK-", re.compile(r"LK(?<!\wLK)(?:-[0-9A-Z]{4}){3}\b"), "LK-****-****-****"),
    ("xox", re.compile(r"\b(?P<kind>xox[a-z]-)[0-9A-Za-z-]{8,}"), r"\g<kind>****"),
    ("xapp-", re.compile(r"\b(?P<kind>xapp-)[0-9A-Za-z-]{8,}"), r"\g<kind>****"),
    ("_", re.compile(r"\b(?P<kind>gh[pousr]_|github_pat_)\w{20,}"), r"\g<kind>****"),
    ("_", re.compile(r"\b(?P<kind>[sr]k_(?:live|test)_)[0-9A-Za-z]{16,}"), r"\g<kind>****"),
    ("sk-", re.compile(r"\b(?P<kind>sk-)[\w-]{20,}"), r"\g<kind>****"),
    ("A", re.compile(r"\b(?P<kind>A[KS]IA)[0-9A-Z]{16}\b"), r"\g<kind>****"),
    ("", re.compile(rf"\b(?=[a-fA-F]*\d)(?=\d*[a-fA-F]){_HEX}{{32,}}\b"), "****"),
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
    """``text`` with every email, IP address, license key and token replaced by a mask, except
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
