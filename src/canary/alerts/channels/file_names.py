"""Names of the file outbox's files, and the longest name a file system takes."""

from __future__ import annotations

import re
from datetime import date

#: The longest file name (bytes) of common file systems (ext4, APFS, NTFS, tmpfs).
NAME_MAX = 255


def outbox_file_name(week: date, monitor: str, channel: str, key: str) -> str:
    """The file of one alert: week, monitor, channel (letters, digits, ``_``, ``-``) and
    the first 8 characters of its key."""
    channel = re.sub(r"[^A-Za-z0-9_-]+", "", channel)
    return f"{week.isoformat()}-{monitor}-{channel}-{key[:8]}.md"
