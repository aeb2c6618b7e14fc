"""Peers: canary's weekly run against Soda Core's scan on the same table and week.

    .venv/bin/python -m bench.peers [--sizes 200000x8,200000x104] [--sources sql,files]
        [--keep]

Soda Core runs from a venv of the bench's own (``make peers-venv``: ``.bench/soda``, pinned
by ``bench/peers-constraints.txt``), never from canary's. For each size (instances x weeks)
the database is ``bench.scale``'s (generated, or kept and reused with ``--keep``) and the
week under test is scale's. Soda scans SodaCL checks that mirror the bundled all-instances
suites (``sodacl``: what it cannot say is listed, not dropped), filtered to that week's
rows, over views of the tiles' queries; canary runs the new week after a run the week
before, through the sql source (PostgreSQL, against ``soda-core-postgres``) and the files
source (the tiles exported as Parquet, against ``soda-core-duckdb`` over the same files).
Each command runs in a process of its own; a figure *above the floor* subtracts the
fastest of three processes that only import the tool (``soda.scan``; ``canary.cli`` and
GE), and each tool's measured run is the fastest of three (canary's on the store as the run
the week before left it). Targets (issue 27): canary above its floor within 3x of Soda
above its floor, canary's peak RSS under 350 MB, canary's run at 8 and at 104 weeks within
1.2x.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import sqlalchemy as sa
import yaml

from bench import scale
from canary.dashboards import build_query, catalog

SODA_VENV = scale.REPO / ".bench" / "soda"
SODA_PYTHON = SODA_VENV / "bin" / "python"
#: Soda's views of the tiles live in a schema of their own beside the generated tables.
VIEW_SCHEMA = "peers"
#: ``soda scan`` measured: its exit codes 1 and 2 (checks warned or failed) are a finished
#: scan; its logging takes over ``sys.stderr``, so the peak RSS goes to the real one.
_SODA = f"""import sys
from soda.cli.cli import main
rc = 0
try:
    main(["scan", *sys.argv[1:]], prog_name="soda")
except SystemExit as stop:
    rc = stop.code or 0
sys.stderr = sys.__stderr__
{scale.PEAK_RSS}
sys.exit(0 if rc in (0, 1, 2) else rc)
"""
#: Each tool's measured run is made this many times: the fastest wall, the highest peak RSS
#: (a shared 2-core machine's figures vary by a fifth from run to run).
REPEATS = 3
_NEGATED = {"=": "!=", ">=": "<", "<=": ">", ">": "<=", "<": ">=", "between": "not between"}


def _literal(value: Any) -> str:
    """``value`` as a SQL literal (strings quoted, quotes doubled)."""
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    if isinstance(value, date):
        return f"DATE '{value.isoformat()}'"
    return str(value)


def _bounds(kwargs: Mapping[str, Any]) -> tuple[str, str]:
    """A GE ``min_value``/``max_value`` pair as a SodaCL comparison and threshold."""
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    if low is not None and high is not None:
        return "between", f"{low} and {high}"
    return (">=", str(low)) if low is not None else ("<=", str(high))


def _metric(name: str, metric: str, op: str, value: str, severity: str, **config: Any) -> Any:
    """A SodaCL metric check: failing when not ``op value``, or warning at warning severity."""
    if severity == "warning":
        return {metric: {"name": name, "warn": f"when {_NEGATED[op]} {value}", **config}}
    return {f"{metric} {op} {value}": {"name": name, **config}}


def _mapped(expectation: Mapping[str, Any]) -> tuple[str, Any] | None:
    """An expectation as SodaCL: the block it belongs to (``schema``, unfiltered, or
    ``week``, the week's rows) and its check; None where SodaCL has no counterpart."""
    kind, kwargs = expectation["type"], expectation.get("kwargs", {})
    severity = expectation.get("severity", "critical")
    column = kwargs.get("column")
    name = f"{expectation.get('meta', {}).get('check', kind)}: {column or ''}".rstrip(": ")
    if kind == "expect_table_columns_to_match_set" and not kwargs.get("exact_match"):
        columns = list(kwargs["column_set"])
        return "schema", {
            "schema": {"name": name, "fail": {"when required column missing": columns}}
        }
    if kind == "expect_table_row_count_to_be_between":
        return "week", _metric(name, "row_count", *_bounds(kwargs), severity)
    if kwargs.get("mostly") is not None and kind != "expect_column_values_to_not_be_null":
        return None
    if kind == "expect_column_values_to_not_be_null":
        mostly = kwargs.get("mostly")
        if mostly is None:
            return "week", _metric(name, f"missing_count({column})", "=", "0", severity)
        allowed = f"{round((1 - mostly) * 100, 6):g}%"
        return "week", _metric(name, f"missing_percent({column})", "<=", allowed, severity)
    if kind == "expect_column_values_to_be_between":
        valid = {"valid min": kwargs.get("min_value"), "valid max": kwargs.get("max_value")}
        valid = {k: v for k, v in valid.items() if v is not None}
        return "week", _metric(name, f"invalid_count({column})", "=", "0", severity, **valid)
    if kind == "expect_column_values_to_be_in_set":
        values = list(kwargs["value_set"])
        return "week", _metric(
            name, f"invalid_count({column})", "=", "0", severity, **{"valid values": values}
        )
    if kind == "expect_column_values_to_match_regex":
        regex = kwargs["regex"]
        return "week", _metric(
            name, f"invalid_count({column})", "=", "0", severity, **{"valid regex": regex}
        )
    if kind == "expect_column_values_to_be_unique":
        return "week", _metric(name, f"duplicate_count({column})", "=", "0", severity)
    if kind == "expect_compound_columns_to_be_unique":
        key = ", ".join(kwargs["column_list"])
        return "week", _metric(name, f"duplicate_count({key})", "=", "0", severity)
    if kind == "expect_column_pair_values_a_to_be_greater_than_b":
        a, b = kwargs["column_A"], kwargs["column_B"]
        if kwargs.get("ignore_row_if", "both_values_are_missing") != "either_value_is_missing":
            return None
        condition = f"{a} < {b}" if kwargs.get("or_equal") else f"{a} <= {b}"
        return "week", {"failed rows": {"name": name, "fail condition": condition}}
    if kind == "expect_column_pair_values_to_be_equal":
        a, b = kwargs["column_A"], kwargs["column_B"]
        if kwargs.get("ignore_row_if", "both_values_are_missing") != "both_values_are_missing":
            return None
        condition = f"{a} <> {b} OR ({a} IS NULL) <> ({b} IS NULL)"
        return "week", {"failed rows": {"name": name, "fail condition": condition}}
    if kind == "expect_column_distinct_values_to_contain_set":
        values = list(kwargs["value_set"])
        metric = f"{column}_contains_set"
        listed = ", ".join(_literal(v) for v in values)
        expression = f"COUNT(DISTINCT CASE WHEN {column} IN ({listed}) THEN {column} END)"
        return "week", _metric(
            name, metric, "=", str(len(values)), severity, **{f"{metric} expression": expression}
        )
    return None


def sodacl(suites: Mapping[str, Mapping[str, Any]], week: date) -> tuple[dict[str, Any], list[str]]:
    """SodaCL checks mirroring ``suites`` (dataset -> GE suite), those of rows filtered to
    ``week``, and the expectations it cannot say (``dataset: type (column)``)."""
    checks: dict[str, Any] = {}
    unmapped: list[str] = []
    for dataset, suite in suites.items():
        blocks: dict[str, list[Any]] = {"schema": [], "week": []}
        for expectation in suite["expectations"]:
            found = _mapped(expectation)
            if found is None:
                column = expectation.get("kwargs", {}).get("column")
                unmapped.append(
                    f"{dataset}: {expectation['type']}" + (f" ({column})" if column else "")
                )
                continue
            blocks[found[0]].append(found[1])
        if blocks["week"]:
            checks[f"filter {dataset} [week]"] = {"where": f"week = {_literal(week)}"}
            checks[f"checks for {dataset} [week]"] = blocks["week"]
        if blocks["schema"]:
            checks[f"checks for {dataset}"] = blocks["schema"]
    return checks, unmapped


def bundled_suites(prefix: str = "all_instances") -> dict[str, dict[str, Any]]:
    """The bundled suites of a monitor's ``prefix``, by dataset."""
    paths = sorted((scale.REPO / "expectations").glob(f"{prefix}.*.json"))
    return {p.name[len(prefix) + 1 : -len(".json")]: json.loads(p.read_text()) for p in paths}


def counted(checks: Mapping[str, Any]) -> dict[str, int]:
    """Checks per dataset of a SodaCL document (``checks for X`` and ``checks for X [f]``)."""
    out: dict[str, int] = {}
    for key, block in checks.items():
        if key.startswith("checks for "):
            dataset = key.removeprefix("checks for ").split(" [")[0]
            out[dataset] = out.get(dataset, 0) + len(block)
    return out


def _tile_views() -> list[str]:
    """Every tile's query over every week, unordered, with its filter values inlined: the
    SQL of a view per dataset."""
    board = catalog().dashboards["all-instances"]
    views = []
    for tile in board.tiles:
        view, fields = catalog().views[tile.view], list(tile.fields)
        _, values = build_query(view, fields, board.filter_values(), table=f"analytics.{tile.view}")
        sql, _ = build_query(
            view,
            fields,
            board.filter_values(),
            table=f"analytics.{tile.view}",
            placeholder=lambda i, values=values: _literal(values[i]),
            ordered=False,
        )
        views.append(f"CREATE VIEW {VIEW_SCHEMA}.{tile.dataset} AS {sql}")
    return views


def _postgres_views(url: str) -> None:
    """Soda's datasets in PostgreSQL: a view of each tile in ``VIEW_SCHEMA`` (made anew)."""
    engine = sa.create_engine(url)
    with engine.begin() as con:
        con.execute(sa.text(f"DROP SCHEMA IF EXISTS {VIEW_SCHEMA} CASCADE"))
        con.execute(sa.text(f"CREATE SCHEMA {VIEW_SCHEMA}"))
        for statement in _tile_views():
            con.execute(sa.text(statement))
    engine.dispose()


def _duckdb_views(path: Path, files: Mapping[str, Mapping[str, str]]) -> None:
    """Soda's datasets in DuckDB: a database at ``path`` with a view over each export, made
    by the DuckDB of Soda's venv (a file one DuckDB writes another may not read)."""
    statements = [
        f"CREATE VIEW {dataset} AS SELECT * FROM read_parquet({_literal(spec['path'])})"
        for dataset, spec in files.items()
    ]
    program = "import duckdb, sys\ncon = duckdb.connect(sys.argv[1])\nfor s in sys.argv[2:]: con.execute(s)"
    subprocess.run([str(SODA_PYTHON), "-c", program, str(path), *statements], check=True)


def _postgres_source(url: str) -> tuple[dict[str, Any], dict[str, str]]:
    """Soda's data source for ``url`` and the environment its password rides in (never
    written to the configuration file)."""
    parts = sa.make_url(url)
    source: dict[str, Any] = {
        "type": "postgres",
        "host": parts.host or "localhost",
        "port": str(parts.port or 5432),
        "username": parts.username or "postgres",
        "database": parts.database,
        "schema": VIEW_SCHEMA,
    }
    env = {}
    if parts.password:
        source["password"] = "${SODA_PEERS_PASSWORD}"
        env["SODA_PEERS_PASSWORD"] = parts.password
    return source, env


@dataclass(frozen=True)
class Measured:
    """One tool's run: what it checked, its wall seconds, its import floor, its peak RSS."""

    tool: str
    checked: str
    wall: float
    floor: float
    rss: float

    @property
    def above(self) -> float:
        return self.wall - self.floor


def _tally(outcomes: list[str]) -> str:
    """What a tool checked: its checks and how many of each outcome."""
    counts = ", ".join(f"{outcomes.count(o)} {o}" for o in sorted(set(outcomes)))
    return f"{len(outcomes)} checks ({counts})"


def _soda_scan(
    directory: Path,
    source: dict[str, Any],
    checks: dict[str, Any],
    floor: float,
    env: dict[str, str],
) -> Measured:
    """``soda scan`` of ``checks`` on ``source`` in its own process. Soda's home is
    ``directory``, whose settings turn its usage reports off (they would wait on a network
    this machine may not have, and are no part of a scan)."""
    (directory / ".soda").mkdir(parents=True, exist_ok=True)
    (directory / ".soda" / "config.yml").write_text("send_anonymous_usage_stats: false\n")
    configuration, checks_file = directory / "configuration.yml", directory / "checks.yml"
    configuration.write_text(yaml.safe_dump({"data_source peers": source}, sort_keys=False))
    checks_file.write_text(yaml.safe_dump(checks, sort_keys=False))
    results = directory / "results.json"
    argv = ["-d", "peers", "-c", str(configuration), "-srf", str(results), str(checks_file)]
    runs = [
        scale.measured(
            [str(SODA_PYTHON), "-c", _SODA, *argv],
            f"soda scan ({source['type']})",
            cwd=directory,
            env={**os.environ, **env, "HOME": str(directory)},
        )
        for _ in range(REPEATS)
    ]
    wall, rss = min(w for w, _ in runs), max(r for _, r in runs)
    outcomes = [str(c.get("outcome")) for c in json.loads(results.read_text()).get("checks", [])]
    return Measured(
        f"Soda Core, soda scan ({source['type']})",
        _tally(outcomes),
        wall,
        floor,
        rss,
    )


def _canary_run(directory: Path, source: dict[str, Any], floor: float) -> Measured:
    """canary's run of the new week (a run the week before first) reading ``source``."""
    config = scale.monitor_config(directory, source)
    result = directory / "result.json"
    wall, rss = scale.new_week_run(config, "--json", str(result), repeats=REPEATS)
    checks = [c for r in json.loads(result.read_text())["runs"] for c in r["checks"]]
    return Measured(
        f"canary run ({source['kind']})",
        _tally([str(c["status"]) for c in checks]),
        wall,
        floor,
        rss,
    )


def _table(rows: list[Measured]) -> None:
    print(f"  {'tool':34} {'what it checked':46} {'wall':>8} {'above floor':>18} {'peak RSS':>9}")
    for r in rows:
        print(
            f"  {r.tool:34} {r.checked:46} {r.wall:6.2f} s {r.above:6.2f} s (floor {r.floor:.2f})"
            f" {r.rss:6.0f} MB"
        )


def _verdict(met: bool) -> str:
    return "met" if met else "NOT met"


def _against_soda(canary: Measured, soda: Measured) -> None:
    rss = f"peak RSS < 350 MB: {canary.rss:.0f} MB, {_verdict(canary.rss < 350)}"
    if canary.above <= 0 or soda.above <= 0:
        print(
            f"  target canary above floor <= 3x Soda's: not measured (a wall under its floor: "
            f"the machine's load changed between them); {rss}"
        )
        return
    ratio = canary.above / soda.above
    print(
        f"  target canary above floor <= 3x Soda's: {canary.above:.2f} s / {soda.above:.2f} s = "
        f"{ratio:.1f}x, {_verdict(ratio <= 3)}; {rss}"
    )


def measure(
    instances: int,
    weeks: int,
    sources: list[str],
    keep: bool,
    floors: tuple[float, float],
) -> dict[str, Measured]:
    """Soda and canary side by side on one size; canary's runs by source."""
    canary_floor, soda_floor = floors
    week = scale.week_under_test()
    checks, _ = sodacl(bundled_suites(), week)
    admin = sa.create_engine(scale.PG_ADMIN, isolation_level="AUTOCOMMIT")
    name, url = scale.database(instances, weeks, week, admin)
    runs: dict[str, Measured] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="canary-peers-") as tmp:
            if "sql" in sources:
                _postgres_views(url)
                source, env = _postgres_source(url)
                soda = _soda_scan(Path(tmp) / "soda-pg", source, checks, soda_floor, env)
                tables = {v: f"analytics.{v}" for v in catalog().views}
                sql = {"kind": "sql", "url": url, "tables": tables}
                runs["sql"] = _canary_run(Path(tmp) / "canary-sql", sql, canary_floor)
                print(f"  PostgreSQL, week {week}:")
                _table([soda, runs["sql"]])
                _against_soda(runs["sql"], soda)
            if "files" in sources:
                exports = Path(tmp) / "exports"
                exports.mkdir()
                files = scale.export_parquet(url, exports)
                runs["files"] = _canary_run(
                    Path(tmp) / "canary-files", {"kind": "files", "datasets": files}, canary_floor
                )
                print(f"  Parquet exports in DuckDB, week {week}:")
                try:
                    duck = Path(tmp) / "soda.duckdb"
                    _duckdb_views(duck, files)
                    source = {"type": "duckdb", "path": str(duck)}
                    soda = _soda_scan(Path(tmp) / "soda-duckdb", source, checks, soda_floor, {})
                except (SystemExit, subprocess.CalledProcessError) as error:
                    _table([runs["files"]])
                    print(f"  soda-core-duckdb did not run: {str(error)[-500:]}")
                else:
                    _table([soda, runs["files"]])
                    _against_soda(runs["files"], soda)
    finally:
        if not keep:
            with admin.connect() as con:
                con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()
    return runs


def _flat_in_history(runs: Mapping[tuple[int, int], Mapping[str, Measured]]) -> None:
    """Canary's run at the fewest against the most weeks of each instance count measured at
    both (target within 1.2x)."""
    for instances in sorted({i for i, _ in runs}):
        weeks = sorted(w for i, w in runs if i == instances)
        if len(weeks) < 2:
            continue
        few, many = runs[(instances, weeks[0])], runs[(instances, weeks[-1])]
        for source in sorted(set(few) & set(many)):
            ratio = many[source].wall / few[source].wall
            print(
                f"target flat in history ({source}, {instances:,} instances): {weeks[-1]} weeks "
                f"{many[source].wall:.2f} s / {weeks[0]} weeks {few[source].wall:.2f} s = "
                f"{ratio:.2f}x (<= 1.2x), {_verdict(ratio <= 1.2)}"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="200000x8,200000x104")
    parser.add_argument("--sources", default="sql,files", help="sql, files or both")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated databases (reused next time)"
    )
    args = parser.parse_args()
    if not SODA_PYTHON.exists():
        raise SystemExit(f"no Soda Core venv at {SODA_VENV}: make peers-venv")
    week = scale.week_under_test()
    checks, unmapped = sodacl(bundled_suites(), week)
    per_dataset = counted(checks)
    print(
        f"SodaCL: {sum(per_dataset.values())} checks mirroring the all-instances suites "
        f"({', '.join(f'{d} {n}' for d, n in per_dataset.items())}), week {week}"
    )
    print(f"not said in SodaCL ({len(unmapped)}; its schema check compares a warehouse's own type")
    print("names, where a suite's dtype stands for a family of them):")
    for dataset in dict.fromkeys(line.split(":")[0] for line in unmapped):
        said = [line.split(": ", 1)[1] for line in unmapped if line.startswith(f"{dataset}:")]
        print(f"  {dataset}: {', '.join(said)}")
    canary_floor, canary_rss = scale.import_floor()
    soda_floor, soda_rss = scale.import_floor(str(SODA_PYTHON), "import soda.scan")
    print(
        f"import floor: canary (canary.cli and GE) {canary_floor:.2f} s, {canary_rss:.0f} MB; "
        f"Soda (soda.scan) {soda_floor:.2f} s, {soda_rss:.0f} MB"
    )
    sources = args.sources.split(",")
    runs = {}
    for size in args.sizes.split(","):
        instances, weeks = (int(p) for p in size.split("x"))
        runs[(instances, weeks)] = measure(
            instances, weeks, sources, args.keep, (canary_floor, soda_floor)
        )
    _flat_in_history(runs)


if __name__ == "__main__":
    main()
