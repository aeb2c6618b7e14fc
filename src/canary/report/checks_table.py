"""A run's checks as one markdown table for the Prefect UI (pure): problems first, checks
that read alike grouped into one row with their count, long cells wrapped.

The UI shows a table artifact's cells on one line, cut with an ellipsis to equal column
widths (``white-space: nowrap`` in a fixed table layout); a markdown artifact's table sizes
its columns to their content and breaks a cell's lines at ``<br>``. So the checks go out as
markdown, each cell wrapped at ``<br>`` to a width that keeps the table within the page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from canary import readable
from canary.report.drill import banner
from canary.results import CheckResult, RunResult
from canary.statuses import STATUS_ICON, UNKNOWN_ICON

#: Characters per line of each wrapped cell: the five columns fit the artifact page
#: (about 820 px of a 1400 px window).
WIDTHS = {"check": 18, "where": 22, "values": 16, "reason": 34}
NAMED = 3  # columns or segments a grouped row names; the rest are counted


@dataclass
class Row:
    """Checks of one dataset that read alike: same status, check, values and reason."""

    status: str
    dataset: str
    check: str
    observed: str
    expected: str
    reason: str
    columns: list[str] = field(default_factory=list)
    segments: list[str] = field(default_factory=list)
    count: int = 0


def _reason(check: CheckResult, week: str) -> str:
    """The reason without the dataset and week its row already shows."""
    return check.reason.removeprefix(f"{check.dataset}, week {week}: ")


def _segment(check: CheckResult) -> str | None:
    return ", ".join(f"{k} {v}" for k, v in check.segment.items()) if check.segment else None


def rows(run: RunResult) -> list[Row]:
    """One row per group of checks that read alike, problems first (in ``problems`` order)."""
    ordered = run.problems() + [c for c in run.checks if c.status == "passed"]
    week = run.week.isoformat()
    groups: dict[tuple[str, ...], Row] = {}
    for c in ordered:
        row = Row(
            c.status,
            c.dataset,
            c.check,
            readable.observed(c.observed, c.check),
            readable.expected(c.expected, c.check),
            _reason(c, week),
        )
        key = (row.status, row.dataset, row.check, row.observed, row.expected, row.reason)
        row = groups.setdefault(key, row)
        row.count += 1
        if c.column and c.column not in row.columns:
            row.columns.append(c.column)
        segment = _segment(c)
        if segment and segment not in row.segments:
            row.segments.append(segment)
    return list(groups.values())


def _pieces(word: str, width: int) -> list[str]:
    """A word longer than ``width`` cut after underscores (a column name), else whole."""
    if len(word) <= width:
        return [word]
    pieces, piece = [], ""
    for bit in re.split(r"(?<=_)", word):
        if piece and len(piece) + len(bit) > width:
            pieces.append(piece)
            piece = ""
        piece += bit
    return [*pieces, piece] if piece else pieces


def wrap(text: str, width: int) -> list[str]:
    """``text`` in lines of about ``width`` characters (a longer name cut after ``_``)."""
    lines: list[str] = []
    for word in text.split():
        first, *rest = _pieces(word, width)
        if lines and len(lines[-1]) + 1 + len(first) <= width:
            lines[-1] += " " + first
        else:
            lines.append(first)
        lines += rest
    return lines


def _escape(text: str) -> str:
    """Plain text for a markdown table cell: no column breaks, no HTML."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace("|", "\\|")


def _cell(*parts: str, width: int) -> str:
    """Each part wrapped to ``width`` on lines of its own, lines broken by ``<br>``."""
    return "<br>".join(_escape(line) for part in parts if part for line in wrap(part, width))


def _named(items: list[str], kind: str) -> str:
    if len(items) <= 1:
        return "".join(items)
    more = f" and {len(items) - NAMED} more" if len(items) > NAMED else ""
    return f"{len(items)} {kind}: {', '.join(items[:NAMED])}{more}"


def _line(row: Row) -> str:
    count = f" x{row.count}" if row.count > 1 else ""
    where = [_named(row.columns, "columns"), _named(row.segments, "segments")]
    cells = [
        f"{STATUS_ICON.get(row.status, UNKNOWN_ICON)}{count}",
        f"**{_cell(row.check, width=WIDTHS['check'])}**<br>{_cell(row.dataset, width=WIDTHS['check'])}",
        _cell(*where, width=WIDTHS["where"]),
        _cell(
            row.observed,
            f"expected {row.expected}" if row.expected != readable.NONE else "",
            width=WIDTHS["values"],
        ),
        _cell(row.reason, width=WIDTHS["reason"]),
    ]
    return "| " + " | ".join(cells) + " |"


def checks_markdown(run: RunResult) -> str:
    """The checks artifact: a heading, the counts, and the grouped table."""
    drill = f"DRILL {run.drill}: " if run.drill else ""
    found = rows(run)
    grouped = len(run.checks) - len(found)
    lines = [
        f"# {drill}Checks of {run.monitor}, week {run.week.isoformat()}",
        "",
        *([f"> 🧪 **{banner(run.drill)}**", ""] if run.drill else []),
        " · ".join(f"{n:,} {status}" for status, n in run.counts().items() if n)
        + (f" · {len(found):,} rows (checks that read alike counted in one)" if grouped else ""),
        "",
        "| | check | column · segment | observed | reason |",
        "|---|---|---|---|---|",
        *(_line(row) for row in found),
    ]
    return "\n".join(lines) + "\n"
