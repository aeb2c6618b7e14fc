"""canary's import graph against its layers: no circle, and no import that runs back up.

The graph is read from the source (ast): module-level imports and imports inside functions
alike; only imports under ``if TYPE_CHECKING:`` are left out, since they never run. A module
belongs to the layer of the longest name below that it falls under.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

#: Lowest first. A module may import its own layer's modules and those of layers below.
LAYERS: dict[str, tuple[str, ...]] = {
    "foundation": (
        "canary.errors",
        "canary.config_base",
        "canary.weeks",
        "canary.jsonable",
        "canary.strict_yaml",
        "canary.logfiles",
        "canary.masking",
        "canary.url_secrets",
        "canary.database_url",
        "canary.secrets",
        "canary.readable",
        "canary.display",
        "canary.argtypes",
        "canary.dashboards",
        "canary.definitions",
        "canary.frames",
        "canary.profile",
        "canary.results",
        "canary.statuses",
        "canary.checks.row_key",
        "canary.weekly.measures",
        "canary.doctor.base",
    ),
    # a pulled dataset and what a run reads of it: made by sources, read by every stage
    "datasets": ("canary.dataset", "canary.summary", "canary.fingerprints"),
    "sources": ("canary.sources", "canary.sample"),
    # what config reads of alerts: the policy, each channel kind's settings, the kinds, and
    # the alert model they name (severities)
    "channel settings": (
        "canary.alerts.render.model",
        "canary.alerts.policy",
        "canary.alerts.channels.config",
        "canary.alerts.channels.kinds",
        "canary.alerts.channels.file_names",
        "canary.alerts.channels.prefect.config",
        "canary.alerts.channels.slack.config",
    ),
    "config": ("canary.config",),
    "data": ("canary.store", "canary.checks", "canary.anomaly"),
    "judgement": ("canary.incidents",),
    "delivery": ("canary.alerts", "canary.report", "canary.weekly"),
    "orchestration": (
        "canary.pipeline",
        "canary.replay",
        "canary.prefect_ops",
        "canary.doctor",
        "canary.history_commands",
        "canary.suite_commands",
    ),
    # the package itself (``canary``, none of its modules) sets SQLAlchemy up for every entry
    "entry": ("canary.cli", "canary"),
}

#: Imports known to run back up a layer, each with why it is still there. Shrink it.
ALLOWED_UPWARD: dict[tuple[str, str], str] = {
    ("canary.config", "canary.store.schema"): (
        "config checks monitor and dataset names fit the store's columns; the column "
        "lengths belong in a foundation module both read"
    ),
    ("canary.report.console", "canary.replay"): (
        "the console report prints a backtest's replay results; the replay's result type "
        "belongs in report or results"
    ),
}


@dataclass(frozen=True)
class Module:
    name: str
    path: Path
    package: bool


def _modules() -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted((SRC / "canary").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[-1] == "__init__"
        name = ".".join(parts[:-1] if package else parts)
        found[name] = Module(name, path, package)
    return found


def _type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _imported(module: Module, modules: dict[str, Module]) -> set[str]:
    """The canary modules ``module`` imports when it runs (at import or in a function)."""
    names: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                for other in child.orelse:
                    visit_node(other)
            else:
                visit_node(child)

    def visit_node(node: ast.AST) -> None:
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                package = module.name.split(".")[: None if module.package else -1]
                package = package[: len(package) - node.level + 1]
                base = ".".join([*package, base] if base else package)
            for alias in node.names:
                full = f"{base}.{alias.name}"
                names.add(full if full in modules else base)
        visit(node)

    visit(ast.parse(module.path.read_text(), str(module.path)))
    out: set[str] = set()
    for name in names:
        while name not in modules and "." in name:
            name = name.rsplit(".", 1)[0]
        own_package = modules.get(name) and modules[name].package and module.name.startswith(name)
        if name in modules and name != module.name and not own_package:
            out.add(name)
    return out


def _graph() -> dict[str, set[str]]:
    modules = _modules()
    return {name: _imported(m, modules) for name, m in modules.items()}


def _layer(module: str) -> int:
    """The index of ``module``'s layer: the longest declared name it falls under."""
    best, rank = "", -1
    for index, names in enumerate(LAYERS.values()):
        for name in names:
            below = name != "canary" and module.startswith(name + ".")
            if (module == name or below) and len(name) > len(best):
                best, rank = name, index
    assert rank >= 0, f"{module} is in no layer: add it to LAYERS"
    return rank


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                connect(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == node:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_graph_sees_imports_inside_functions_and_skips_type_checking_ones() -> None:
    graph = _graph()
    assert "canary.sources.sql.dialects" in graph["canary.sources.sql.config"]  # in a function
    assert "canary.config" not in graph["canary.sources.looker.doctor"]  # TYPE_CHECKING only


def test_circles_are_found_and_named() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}, "e": set()}
    assert _circles(graph) == [["a", "b", "c"]]


def test_no_import_circles() -> None:
    assert _circles(_graph()) == []


def test_no_import_runs_back_up_a_layer() -> None:
    layer_names = list(LAYERS)
    upward = sorted(
        f"{a} ({layer_names[_layer(a)]}) -> {b} ({layer_names[_layer(b)]})"
        for a, targets in _graph().items()
        for b in targets
        if _layer(b) > _layer(a) and (a, b) not in ALLOWED_UPWARD
    )
    assert upward == []


def test_every_allowed_upward_import_is_still_there() -> None:
    graph = _graph()
    gone = [edge for edge in ALLOWED_UPWARD if edge[1] not in graph.get(edge[0], set())]
    assert gone == [], "drop these from ALLOWED_UPWARD"
