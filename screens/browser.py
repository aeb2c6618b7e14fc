"""Debian's headless Chromium through playwright: the tests' and the README pictures'."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

CHROMIUM = "/usr/bin/chromium"  # Debian's package, installed by .ci/run
ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def chromium(profile: Path, width: int, height: int) -> Iterator[Any]:
    """A headless Chromium context (playwright's ``BrowserContext``) of that viewport."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        context = pw.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=ARGS,
            viewport={"width": width, "height": height},
        )
        try:
            yield context
        finally:
            context.close()


def screenshot(page_html: str, path: Path, width: int, height: int = 600) -> None:
    """``page_html`` as a PNG at ``path``: ``width`` wide, as tall as the page (at least
    ``height``). Nothing leaves the machine: every request but the page's own is refused."""
    with (
        tempfile.TemporaryDirectory(prefix="canary-screens-") as tmp,
        chromium(Path(tmp) / "profile", width, height) as context,
    ):
        page = context.new_page()
        page.route("**/*", lambda route: route.abort())
        page.set_content(page_html, wait_until="load")
        page.evaluate("document.fonts.ready.then(() => true)")
        path.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(path), full_page=True)
