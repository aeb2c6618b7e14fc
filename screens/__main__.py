"""``python -m screens [DIR]``: the README's Slack pictures, from real runs (see ``make
screenshot``, which also refreshes the Prefect UI's)."""

from __future__ import annotations

import argparse
import tempfile
from pathlib import Path

from screens.browser import screenshot
from screens.slack_page import render
from screens.slack_run import screens

WIDTH = 1360


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m screens",
        description="Write the README's Slack pictures, from real runs, into a folder.",
    )
    parser.add_argument("out", nargs="?", type=Path, default=Path("docs"), help="default: docs")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="canary-screens-") as tmp:
        for name, screen in screens(Path(tmp)).items():
            path = args.out / name
            screenshot(render(screen), path, WIDTH)
            print(f"{path}: {path.stat().st_size // 1024} KB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
