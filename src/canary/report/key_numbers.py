"""The week's key numbers in a run's summary (pure): each headline number this week, the
week before and the change (see ``canary.weekly.build.headlines``)."""

from __future__ import annotations

from canary import readable
from canary.weekly.body import Headline


def change_text(h: Headline) -> str:
    """The change from the week before: ``+18.9%``, ``±0%``, ``new``, ``—`` when unknown."""
    if h.week_before is None:
        return "—"
    if h.week_before == 0:
        return "new" if h.value else "±0%"
    share = h.value / h.week_before - 1
    return ("+" if share > 0 else "") + readable.percent(share) if share else "±0%"


def key_numbers_markdown(numbers: list[Headline]) -> list[str]:
    """A "Key numbers" section (no lines when there is none)."""
    if not numbers:
        return []
    lines = ["## Key numbers", "", "| | this week | week before | change |", "|---|--:|--:|--:|"]
    for n in numbers:
        before = readable.number(n.week_before) if n.week_before is not None else "—"
        lines.append(f"| {n.label} | {readable.number(n.value)} | {before} | {change_text(n)} |")
    return lines
