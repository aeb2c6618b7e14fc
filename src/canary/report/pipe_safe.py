"""Standard output that a reader gone away does not stop (``canary run | head -1``): once
the pipe is closed, output is dropped and the command finishes its work (the store
written, alerts delivered and marked sent) instead of dying mid-delivery."""

from __future__ import annotations

import os
from typing import TextIO


class PipeSafe:
    """``stream`` (standard output) writing nothing once its reader has closed the pipe."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.broken = False

    def write(self, text: str) -> int:
        if not self.broken:
            try:
                self.stream.write(text)
            except BrokenPipeError:
                self.broken = True
        return len(text)

    def flush(self) -> None:
        if not self.broken:
            try:
                self.stream.flush()
            except BrokenPipeError:
                self.broken = True

    def isatty(self) -> bool:
        return self.stream.isatty()

    def fileno(self) -> int:
        return self.stream.fileno()

    @property
    def encoding(self) -> str:
        return self.stream.encoding

    def close_quietly(self) -> None:
        """After a broken pipe: point the descriptor at /dev/null, so that the interpreter's
        last flush at exit does not print an error about it."""
        if self.broken:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, self.stream.fileno())
            os.close(devnull)
