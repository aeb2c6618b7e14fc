"""A server's reply body as one short readable line, for error messages.

Proxies and load balancers answer errors with HTML pages: those become their title (else
their text), never a run of letters with the markup stripped out.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

from canary.alerts.render.text import clip

#: Elements whose content is not text a person reads.
_HIDDEN = {"script", "style", "head", "noscript", "template"}


class _Text(HTMLParser):
    """Collects an HTML page's title and its visible text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.title: list[str] = []
        self.text: list[str] = []
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            del self._open[len(self._open) - 1 - self._open[::-1].index(tag) :]

    def handle_data(self, data: str) -> None:
        if "title" in self._open:
            self.title.append(data)
        elif not _HIDDEN.intersection(self._open):
            self.text.append(data)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _looks_like_html(text: str) -> bool:
    return bool(re.match(r"\s*<(!doctype|html|head|body|title|h\d|p|div)\b", text, re.I))


def reply_text(body: str | bytes, limit: int = 80) -> str:
    """``body`` as one line of at most ``limit`` characters: an HTML page's title, else its
    text; any other body with its whitespace collapsed."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if _looks_like_html(text):
        page = _Text()
        page.feed(text)
        page.close()
        text = _one_line(" ".join(page.title)) or _one_line(" ".join(page.text))
    return clip(_one_line(text), limit)
