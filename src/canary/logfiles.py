"""Log files for what is too long or too technical for the console (tracebacks, SQL)."""

from __future__ import annotations

import os
from datetime import UTC, datetime
from pathlib import Path


def write(name: str, text: str) -> Path:
    """Write ``text`` to a new file in ``CANARY_LOG_DIR`` (default ``.canary/logs``)."""
    logs = Path(os.environ.get("CANARY_LOG_DIR", ".canary/logs"))
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    path = logs / f"{name}-{stamp:%Y%m%dT%H%M%S}-{stamp:%f}.log"
    path.write_text(text)
    return path
