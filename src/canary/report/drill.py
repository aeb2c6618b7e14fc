"""How a drill (a ``--scenario`` run) is marked: its run name, tag and banner."""

from __future__ import annotations

from datetime import date

TAG = "drill"


def run_name(monitor: str, week: date, drill: str | None) -> str:
    """``<monitor> <week>``, and ``(DRILL <scenario>)`` after it for a drill."""
    name = f"{monitor} {week.isoformat()}"
    return f"{name} (DRILL {drill})" if drill else name


def banner(drill: str) -> str:
    """One sentence saying what a drill is and what it did not touch."""
    return (
        f"DRILL {drill}: the scenario injected into a throwaway sample and store; "
        "no alerts were sent and the monitor's history is untouched."
    )
