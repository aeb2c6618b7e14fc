"""What a doctor check reads (its context) and says (findings, each with a status)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from canary.errors import CanaryError

if TYPE_CHECKING:
    from canary.config import Config

Status = Literal["ok", "warn", "fail", "unreachable"]


@dataclass(frozen=True)
class Finding:
    """One thing the doctor looked at: its status, a one-line detail, and listing lines."""

    check: str
    status: Status
    detail: str
    lines: tuple[str, ...] = ()


@dataclass(frozen=True)
class Context:
    config: Config
    environ: Mapping[str, str]
    sources: tuple[str, ...] = ()  # only these sources; empty: all
    config_dir: Path = Path(".")  # where prefect.yaml, if any, lies beside the config
    now: datetime = field(default_factory=lambda: datetime.now(UTC))

    def wants(self, source: str) -> bool:
        return not self.sources or source in self.sources


DoctorCheck = Callable[[Context], Iterable[Finding]]


def failure(check: str, exc: CanaryError) -> Finding:
    """A finding of a canary error: unreachable when a retry may help, else failed."""
    return Finding(check, "unreachable" if exc.transient else "fail", str(exc))
