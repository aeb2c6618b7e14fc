"""argparse types shared by the subcommands."""

from __future__ import annotations

import argparse
from datetime import date
from pathlib import Path

from canary.weeks import parse_week

#: The days a command line may name: wide enough for any data, narrow enough that the
#: years of history before a week stay within the calendar and every week within the
#: timestamps pandas holds (to 2262).
FIRST_DAY, LAST_DAY = date(1900, 1, 1), date(2199, 12, 31)


def _in_range(day: date, text: str) -> date:
    if not FIRST_DAY <= day <= LAST_DAY:
        raise argparse.ArgumentTypeError(f"{text!r} is outside {FIRST_DAY} to {LAST_DAY}")
    return day


def week_arg(text: str) -> date:
    """A week named by its Monday, ``YYYY-MM-DD``."""
    try:
        return _in_range(parse_week(text), text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def day_arg(text: str) -> date:
    """Any day, ``YYYY-MM-DD``."""
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None
    return _in_range(day, text)


def result_path_arg(text: str) -> Path:
    """Where a result document goes: a file (new or replaced) in a folder that exists."""
    path = Path(text)
    if path.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r} is a folder; name a file, e.g. {text}/out.json")
    folder = path.parent
    if not folder.is_dir():
        raise argparse.ArgumentTypeError(f"{text!r}: the folder {str(folder)!r} does not exist")
    return path
