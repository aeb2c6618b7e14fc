"""argparse types shared by the subcommands."""

from __future__ import annotations

import argparse
from datetime import date

from canary.weeks import parse_week


def week_arg(text: str) -> date:
    """A week named by its Monday, ``YYYY-MM-DD``."""
    try:
        return parse_week(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def day_arg(text: str) -> date:
    """Any day, ``YYYY-MM-DD``."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date of the form YYYY-MM-DD") from None
