"""Alert channels sit on the outbox and the renderers, never on the policy above them, and
the outbox sends through its own contract without knowing any channel."""

from __future__ import annotations

import ast
from pathlib import Path

import canary.alerts

ALERTS = Path(canary.alerts.__file__).parent


def _alerts_imports(folder: str) -> dict[str, set[str]]:
    """Per module under ``alerts/<folder>``: the ``canary.alerts`` sub-packages or
    modules it imports (``channels``, ``render``, ``policy``...), in functions too."""
    found: dict[str, set[str]] = {}
    for path in sorted((ALERTS / folder).rglob("*.py")):
        names: set[str] = set()
        for node in ast.walk(ast.parse(path.read_text())):
            modules = (
                [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else [a.name for a in node.names]
                if isinstance(node, ast.Import)
                else []
            )
            names |= {m.split(".")[2] for m in modules if m.startswith("canary.alerts.")}
        found[str(path.relative_to(ALERTS / folder))] = names
    return found


def test_channels_import_only_render_and_the_outbox() -> None:
    found = _alerts_imports("channels")
    assert "slack/probe.py" in found and "base.py" in found
    upward = {m: n - {"channels", "render", "outbox"} for m, n in found.items()}
    assert {m: n for m, n in upward.items() if n} == {}


def test_the_outbox_does_not_import_channels() -> None:
    found = _alerts_imports("outbox")
    assert "flush.py" in found
    assert {m: n for m, n in found.items() if "channels" in n} == {}
