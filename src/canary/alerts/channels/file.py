"""The file outbox: alerts and weekly reports written as markdown files (and shown on the
console) when Slack is not configured, or ``delivery: file`` says so."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from canary.alerts.channels.file_names import outbox_file_name
from canary.alerts.outbox.records import Entry
from canary.alerts.outbox.sending import DeliveryError, Sent
from canary.alerts.render.digest_render import file_text
from canary.alerts.render.payload import body_of
from canary.weekly.render import report_markdown, report_text


class FileTransport:
    """The file outbox (and the console) when Slack is not configured: one markdown file
    per message, a weekly report's chart beside it as a PNG of the same name."""

    name = "file"
    verifiable = True

    def __init__(self, directory: Path, console: Console | None) -> None:
        self.directory = directory
        self.console = console

    def path_for(self, entry: Entry) -> Path:
        return self.directory / outbox_file_name(
            entry.week, entry.monitor, entry.channel, entry.key
        )

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        path = self.path_for(entry)
        report, chart = body_of(entry.payload), entry.blob
        if report is None:
            markdown, plain = file_text(entry.payload)
        else:
            markdown, plain = report_markdown(report), report_text(report)
            if chart:  # its chart, beside it
                markdown += f"\n![{report.title}: recent weeks]({path.stem}.png)\n"
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            if report is not None and chart:
                path.with_suffix(".png").write_bytes(chart)
            path.write_text(markdown)
        except OSError as exc:
            raise DeliveryError(f"file outbox {path}: {exc.strerror}", "all") from None
        if self.console is not None:
            self.console.print(plain, markup=False)
            what = "alert" if report is None else "weekly report"
            self.console.print(f"({what} for {entry.channel} written to {path})", markup=False)
        return "file", None

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        return ("file", None) if self.path_for(entry).exists() else None
