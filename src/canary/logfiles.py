"""Log files for what is too long or too technical for the console (tracebacks, SQL).

They go to ``CANARY_LOG_DIR`` if set, else to ``data_dir/logs`` of the config this process
loaded, else (no config could be read) to ``canary-logs`` in the system's temporary folder:
never to the current folder.
"""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

_home: Path | None = None


def use_data_dir(data_dir: Path) -> None:
    """Log files of this process go under ``data_dir`` (the loaded config's) from now on."""
    global _home
    _home = data_dir.absolute() / "logs"


def directory() -> Path:
    """Where log files go (see the module's docstring)."""
    chosen = os.environ.get("CANARY_LOG_DIR")
    if chosen:
        return Path(chosen).absolute()
    return _home or Path(tempfile.gettempdir()) / "canary-logs"


def write(name: str, text: str) -> Path:
    """Write ``text`` to a new file in ``directory()``."""
    logs = directory()
    logs.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC)
    path = logs / f"{name}-{stamp:%Y%m%dT%H%M%S}-{stamp:%f}.log"
    path.write_text(text)
    return path
