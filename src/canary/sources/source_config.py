"""What every source kind's config model is: a strict model with a ``kind`` tag, a lag after
which a week is complete, and the problems only a valid config can show."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta

from canary.config_base import Duration, Strict


class SourceConfig(Strict):
    """The config of one source; each kind's model sets ``kind`` to its own literal."""

    kind: str
    complete_after: Duration = timedelta(days=1)

    def value_problems(self) -> dict[str, str]:
        """Key below the source -> why its (valid) value cannot work, e.g. a URL that no
        installed driver reads."""
        return {}

    def environment_problems(self, environ: Mapping[str, str]) -> list[tuple[str, str, str]]:
        """(variable, key below the source, why) for environment values this source reads
        that cannot work."""
        return []
