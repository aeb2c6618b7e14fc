"""slack_sdk's log lines go to canary's log file, scrubbed of secrets, never to the console.

slack_sdk logs every dropped connection at ERROR ("Failed to send a request to Slack API
server..."); with no handler configured Python prints that on stderr beside canary's own
one-line summary of the delivery. The Slack clients' loggers (``canary.slack.*``) and
slack_sdk's own stop there: they write to ``slack.log`` in the log directory
(``canary.logfiles.directory``: ``CANARY_LOG_DIR``, else ``data_dir/logs``), created with
its first line. Every secret
that any Slack client of this process was given is replaced by ``***``: in a client's
records before any handler sees them, and again in each line written, traceback included.
"""

from __future__ import annotations

import logging
from pathlib import Path

from canary import logfiles
from canary.alerts.channels.redact import Redactor

#: The loggers routed to the file: the clients' (named by canary) and slack_sdk's own.
LOGGERS = ("canary.slack", "slack_sdk")
FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

_known = Redactor()


def log_path() -> Path:
    """Where Slack's log lines go."""
    return logfiles.directory() / "slack.log"


class _Scrubbed(logging.Formatter):
    """Formats a record, then replaces the secrets known to this process."""

    def format(self, record: logging.LogRecord) -> str:
        return _known.scrub(super().format(record))


class _SlackLogFile(logging.FileHandler):
    """The log file, opened (and its directory made) when the first line is written."""

    def __init__(self, path: Path) -> None:
        super().__init__(path, encoding="utf-8", delay=True)
        self.setFormatter(_Scrubbed(FORMAT))

    def emit(self, record: logging.LogRecord) -> None:
        if self.stream is None:
            Path(self.baseFilename).parent.mkdir(parents=True, exist_ok=True)
        super().emit(record)


def _route(path: Path) -> None:
    loggers = [logging.getLogger(name) for name in LOGGERS]
    current = [h for h in loggers[0].handlers if isinstance(h, _SlackLogFile)]
    if [Path(h.baseFilename) for h in current] != [path]:
        for logger in loggers:
            for old in [h for h in logger.handlers if isinstance(h, _SlackLogFile)]:
                logger.removeHandler(old)
                old.close()
        handler = _SlackLogFile(path)
        for logger in loggers:
            logger.addHandler(handler)
    for logger in loggers:
        logger.setLevel(logging.INFO)
        logger.propagate = False


def slack_logger(name: str, redactor: Redactor) -> logging.Logger:
    """The logger for a Slack client (``name`` under ``canary.slack``), whose lines, like
    slack_sdk's, go to the log file with ``redactor``'s secrets scrubbed."""
    _known.add(redactor.secrets)
    _route(log_path())
    logger = logging.getLogger(name)
    logger.addFilter(_known)
    return logger
