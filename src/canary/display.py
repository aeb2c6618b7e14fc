"""Text as people see it (pure): personal data masked, long labels and reasons cut.

One policy for every place a check is shown (console, JSON result, Prefect artifacts,
Slack, the file outbox): a check's reason and segment labels are made fit to show once,
when the check is made, and each place shows them as they are. Masking comes first, so a
cut never leaves part of an email or IP address unmasked.
"""

from __future__ import annotations

import re
from functools import lru_cache

from canary.masking import mask_text

#: A label (or any unbroken run of characters in a reason) longer than this is cut.
LABEL_LIMIT = 80
#: A reason longer than this is cut: it is one line of a table or a message.
REASON_LIMIT = 600
CUT = "…"

#: An unbroken run of characters longer than a label may be, not a path or a link (those
#: stay whole, to be opened).
_LONG_WORD = re.compile(rf"(?<!\S)(?![^\s/]*/)\S{{{LABEL_LIMIT + 1},}}")


def cut(text: str, limit: int) -> str:
    """``text`` at most ``limit`` characters: its start and end kept around an ellipsis."""
    if len(text) <= limit:
        return text
    head = (limit - len(CUT)) * 2 // 3
    tail = limit - len(CUT) - head
    return text[:head] + CUT + (text[-tail:] if tail else "")


def shown_reason(reason: str) -> str:
    """A check's reason fit to show: masked, each overlong label in it cut (a path or link
    kept whole), then the whole."""
    words = _LONG_WORD.sub(lambda m: cut(m.group(), LABEL_LIMIT), mask_text(reason))
    return cut(words, REASON_LIMIT)


@lru_cache(maxsize=65_536)
def shown_label(label: str) -> str:
    """A segment label fit to show, worked out once per label (labels recur in many checks)."""
    return cut(mask_text(label), LABEL_LIMIT)


def shown_segment(segment: dict[str, str] | None) -> dict[str, str] | None:
    """Segment labels (version, deploy type...) fit to show: masked as values are, cut."""
    return None if segment is None else {k: shown_label(v) for k, v in segment.items()}
