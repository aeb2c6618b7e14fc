"""Scale: weekly pings generated in PostgreSQL, a canary run against the bare SQL it needs.

    .venv/bin/python -m bench.scale [--sizes 10000x104,100000x104,1000000x8] [--backtest]
        [--backfill] [--keep]

PostgreSQL from ``CANARY_TEST_PG`` (default postgres@127.0.0.1:5432).

First the import floor: a process that only imports ``canary.cli`` and GE. Then for each
size (instances x weeks) it generates the tables in a database of their own (SQL
``generate_series``, indexed on week as a warehouse partitions pings by week; with
``--keep`` the database stays and the next run reuses it), then prints: the tiles' bare
SQL for one week; a weekly run of the all-instances monitor through the sql source (wall
time, also above the floor, and the peak RSS of the canary process); the same tiles
exported as Parquet, read by DuckDB alone and by a run through the files source; with
``--backfill`` a backfill of every week against the tiles' queries of those weeks; and with
``--backtest`` (60+ weeks) a 52-week backtest against one run. With ``--snowflake`` the
same tables are copied into fakesnow (Snowflake's API over DuckDB, served on a loopback
port by this process) and a run through Snowflake's own connector is measured against the
tiles' bare SQL sent through the same connector. Targets (issue 22): above the floor, sql
<= 2x bare SQL (PostgreSQL and fakesnow) and files <= 3x DuckDB alone, files' peak RSS <
500 MB and flat from 10k to 1M instances; (issue 11) backfill <= 3x, backtest < 10x one run.
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import sqlalchemy as sa
import yaml

from canary.dashboards import build_query, catalog
from canary.sources.base import week_range
from canary.sources.sql.source import bind, named
from canary.weeks import as_of_datetime, latest_complete_week

REPO = Path(__file__).resolve().parent.parent
PG_ADMIN = os.environ.get("CANARY_TEST_PG", "postgresql://postgres@127.0.0.1:5432/postgres")
AS_OF = date(2026, 11, 28)
MONITOR = "code-insights-all-instances"
#: Rows per Parquet row group of the exports (DuckDB's own default; one group per file
#: would make any reader hold a whole column at once).
ROW_GROUP = 122_880
COUNTERS = [
    "weekly_insights_page_views",
    "weekly_insights_unique_page_views",
    "weekly_insight_creators",
    "weekly_first_time_insight_creators",
    "weekly_standalone_insight_page_views",
    "weekly_standalone_dashboard_clicks",
    "weekly_insight_configure_click",
    "weekly_insight_add_more_click",
    "weekly_data_export_clicks",
    "total_orgs_with_dashboard",
    "total_dashboard_count",
]


def _generate_sql(instances: int, weeks: int, end: date) -> list[str]:
    """Weekly pings: ~15% of instances use the feature (instance 0, the canary, always)."""
    noise = "abs(hashtext(i::text || ':' || w::text))"
    using = "(i % 7 = 0)"
    counters = []
    for n, column in enumerate(COUNTERS):
        value = f"({noise} % {40 + n})"
        if column.endswith(("unique_page_views", "first_time_insight_creators")):
            value = f"({value} / 2)"
        if column == "total_orgs_with_dashboard":
            value = "1"
        counters.append(f"CASE WHEN {using} THEN {value} ELSE 0 END::bigint AS {column}")
    return [
        "CREATE SCHEMA analytics",
        f"""CREATE TABLE analytics.weekly_pings AS SELECT
  'site-' || i AS site_id,
  DATE '{end}' - 7 * w AS week,
  CASE WHEN i = 0 THEN 'Sourcegraph (S2)' ELSE 'instance ' || i END AS instance_label,
  'admin' || i || '@example.com' AS admin_email,
  md5(i::text) AS license_key,
  '5.' || (i % 15) || '.' || (w % 3) AS version,
  '5.' || (i % 15) AS version_minor,
  (ARRAY['kubernetes','helm','docker-compose','docker-container','kustomize'])[1 + i % 5]
    AS deploy_type,
  {", ".join(counters)}
FROM generate_series(0, {instances - 1}) i, generate_series(0, {weeks - 1}) w""",
        """CREATE TABLE analytics.insight_types AS SELECT
  site_id, week, instance_label, t AS insight_type,
  (1 + abs(hashtext(site_id || t || week::text)) % 9)::bigint AS insights
FROM analytics.weekly_pings,
  unnest(ARRAY['searchInsights','codeStatsInsights','captureGroupInsights']) t
WHERE weekly_insights_page_views > 0""",
        # as a warehouse partitions or clusters pings by week: a week is read, not the table
        "CREATE INDEX ON analytics.weekly_pings (week)",
        "CREATE INDEX ON analytics.insight_types (week)",
        "ANALYZE analytics.weekly_pings",
        "ANALYZE analytics.insight_types",
    ]


def _bare_sql(url: str, week: date, weeks: int = 1) -> float:
    """Seconds for the all-instances tiles' queries of ``week`` (of the ``weeks`` weeks up to
    it, as a backfill reads them), run alone."""
    board = catalog().dashboards["all-instances"]
    engine = sa.create_engine(url)
    started = time.perf_counter()
    with engine.connect() as con:
        for tile in board.tiles:
            sql, values = build_query(
                catalog().views[tile.view],
                list(tile.fields),
                board.filter_values(),
                (None, week) if tile.shape == "series" else (week - timedelta(weeks=weeks), week),
                table=f"analytics.{tile.view}",
                placeholder=named,
            )
            con.execute(sa.text(sql), bind(values)).fetchall()
    engine.dispose()
    return time.perf_counter() - started


#: Ends a program run by ``measured``: the process's own peak RSS (kB) on stderr.
#: ``getrusage(RUSAGE_SELF).ru_maxrss`` would not do: Linux carries the high-water mark over
#: ``exec``, so a child forked from this process (which held the exports) reported this
#: process's size, 1.96 GB at 10k instances, not its own.
PEAK_RSS = (
    "hwm = next(l for l in open('/proc/self/status') if l.startswith('VmHWM')); "
    "print('RSS', hwm.split()[1], file=sys.stderr); "
)
_CANARY = (
    "import sys; from canary.cli import main; rc = main(sys.argv[1:]); "
    + PEAK_RSS
    + "sys.exit(0 if rc in (0, 1) else rc)"
)


def measured(command: list[str], what: str, **options: Any) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of ``command``, a program ending with ``PEAK_RSS``
    (``options`` go to ``subprocess.run``)."""
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **options)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{what} failed:\n{done.stdout[-1000:]}{done.stderr[-2000:]}")
    rss = next(int(line.split()[1]) for line in done.stderr.splitlines() if line.startswith("RSS"))
    return took, rss / 1024


def canary_command(*argv: str) -> tuple[float, float]:
    """Wall seconds and peak RSS (MB) of one canary command in its own process (exit 1,
    checks failed, is a finished run)."""
    return measured([sys.executable, "-c", _CANARY, *argv], f"canary {' '.join(argv)}")


#: What every canary run imports before it reads a row: the command line and GE (as a run
#: imports it, ``canary.checks.ge_import``).
CANARY_IMPORTS = "import canary.cli; from canary.checks.ge_import import import_ge; import_ge()"


def import_floor(
    python: str = sys.executable, imports: str = CANARY_IMPORTS
) -> tuple[float, float]:
    """Seconds and peak RSS (MB) of a ``python`` process that only runs ``imports``
    (the fastest of three): the floor a run's time is measured above."""
    program = f"import sys; {imports}; " + PEAK_RSS
    runs = []
    for _ in range(3):
        started = time.perf_counter()
        done = subprocess.run([python, "-c", program], capture_output=True, text=True, check=True)
        rss = int(done.stderr.split()[1]) / 1024
        runs.append((time.perf_counter() - started, rss))
    return min(runs)


def monitor_config(directory: Path, source: dict[str, object]) -> Path:
    """A ``canary.yaml`` in ``directory``: the all-instances monitor reading ``source``."""
    board = catalog().dashboards["all-instances"]
    raw = {
        "version": 1,
        "data_dir": str(directory / ".canary"),
        "expectations_dir": str(REPO / "expectations"),
        "sources": {"data": source},
        "monitors": {
            MONITOR: {
                "source": "data",
                "dashboard": "all-instances",
                "suite_prefix": "all_instances",
                "alerts": {"channel": "#code-insights"},
                "datasets": {t.dataset: {} for t in board.tiles},
            }
        },
    }
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "canary.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False))
    return path


def export_parquet(url: str, directory: Path) -> dict[str, dict[str, str]]:
    """Every tile of every week as Parquet, as a tile export holds it (streamed in chunks)."""
    board = catalog().dashboards["all-instances"]
    out: dict[str, dict[str, str]] = {}
    engine = sa.create_engine(url)
    for tile in board.tiles:
        sql, values = build_query(
            catalog().views[tile.view],
            list(tile.fields),
            board.filter_values(),
            (None, None),
            table=f"analytics.{tile.view}",
            placeholder=named,
        )
        path = directory / f"{tile.dataset}.parquet"
        writer: pq.ParquetWriter | None = None
        with engine.connect() as con:
            result = con.execution_options(stream_results=True).execute(sa.text(sql), bind(values))
            for chunk in result.partitions(ROW_GROUP):
                frame = pd.DataFrame(chunk, columns=list(result.keys()))
                table = pa.Table.from_pandas(frame, preserve_index=False)
                if writer is None:
                    writer = pq.ParquetWriter(path, table.schema)
                writer.write_table(table.cast(writer.schema), row_group_size=ROW_GROUP)
        if writer is not None:
            writer.close()
        out[tile.dataset] = {"path": str(path)}
    engine.dispose()
    return out


def _duckdb_bare(files: dict[str, dict[str, str]], week: date) -> float:
    """Seconds for DuckDB alone to read each export's rows of the week(s) a run pulls."""
    board = catalog().dashboards["all-instances"]
    started = time.perf_counter()
    con = duckdb.connect()
    for tile in board.tiles:
        lo, hi = week_range(tile, week)
        bounds = f"week <= DATE '{hi}'" + (f" AND week >= DATE '{lo}'" if lo else "")
        con.execute(
            f"SELECT * FROM read_parquet('{files[tile.dataset]['path']}') WHERE {bounds}"
        ).df()
    con.close()
    return time.perf_counter() - started


def database(instances: int, weeks: int, week: date, admin: sa.Engine) -> tuple[str, str]:
    """The size's database (name, URL): reused when a kept one is whole, else generated."""
    name = f"canary_scale_{instances}x{weeks}"
    url = PG_ADMIN.rsplit("/", 1)[0].replace("postgresql:", "postgresql+psycopg:") + f"/{name}"
    marker = f"generated for {week}, indexed on week"
    with admin.connect() as con:
        exists = con.execute(
            sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}
        ).first()
    if exists:
        engine = sa.create_engine(url)
        try:
            with engine.connect() as con:
                found = con.execute(
                    sa.text("SELECT obj_description('analytics.weekly_pings'::regclass)")
                ).scalar()
        except sa.exc.DBAPIError:
            found = None
        engine.dispose()
        if found == marker:
            print(f"\n{instances:,} instances x {weeks} weeks ({instances * weeks:,} pings; kept)")
            return name, url
    with admin.connect() as con:
        con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        con.execute(sa.text(f'CREATE DATABASE "{name}"'))
    started = time.perf_counter()
    engine = sa.create_engine(url)
    with engine.begin() as con:
        for statement in _generate_sql(instances, weeks, week):
            con.execute(sa.text(statement))
        con.execute(sa.text(f"COMMENT ON TABLE analytics.weekly_pings IS '{marker}'"))
    engine.dispose()
    made = time.perf_counter() - started
    print(
        f"\n{instances:,} instances x {weeks} weeks ({instances * weeks:,} pings; "
        f"generated in {made:.1f} s)"
    )
    return name, url


#: Snowflake's types for the PostgreSQL columns the generated tables hold.
SNOWFLAKE_TYPES = {"text": "VARCHAR", "date": "DATE", "bigint": "NUMBER(38,0)"}


@contextmanager
def snowflake_copy(url: str) -> Iterator[str]:
    """The generated tables of the database at ``url`` copied into a fakesnow server run by
    this process, as the URL Snowflake's connector reaches it by: tables made by Snowflake
    DDL through the connector, rows bulk-loaded into the server's DuckDB in chunks (as a
    ``COPY INTO`` would load them)."""
    import fakesnow

    serve = fakesnow.server  # the function, before its module of that name is imported
    from fakesnow.server import shared_fs

    # host, port and protocol come from the URL; no probe of cloud metadata services
    os.environ["SNOWFLAKE_SQLALCHEMY_LEGACY_URL_PARAMS"] = "1"
    os.environ["SNOWFLAKE_DISABLE_PLATFORM_DETECTION"] = "true"
    pg = sa.create_engine(url)
    with serve() as server:
        # quiet: the server's log would print a line per query (set as it starts), and
        # DuckDB's note to fakesnow on its Arrow results once
        warnings.filterwarnings("ignore", "Arrow output on a DB-API result")
        for server_log in ("uvicorn.access", "uvicorn.error"):
            logging.getLogger(server_log).setLevel(logging.WARNING)
        snow = (
            f"snowflake://canary:any@{server['account']}/canary?host={server['host']}"
            f"&port={server['port']}&protocol={server['protocol']}"
        )
        engine = sa.create_engine(snow)
        loader = shared_fs.duck_conn.cursor()
        with pg.connect() as source, engine.begin() as target:
            target.exec_driver_sql("CREATE SCHEMA IF NOT EXISTS analytics")
            for table in ("weekly_pings", "insight_types"):
                columns = source.execute(
                    sa.text(
                        "SELECT column_name, data_type FROM information_schema.columns "
                        "WHERE table_schema = 'analytics' AND table_name = :t "
                        "ORDER BY ordinal_position"
                    ),
                    {"t": table},
                ).all()
                typed = ", ".join(f"{c} {SNOWFLAKE_TYPES[t]}" for c, t in columns)
                target.exec_driver_sql(f"CREATE TABLE analytics.{table} ({typed})")
        with pg.connect() as source:
            for table in ("weekly_pings", "insight_types"):
                result = source.execution_options(stream_results=True).execute(
                    sa.text(f"SELECT * FROM analytics.{table}")
                )
                for chunk in result.partitions(ROW_GROUP):
                    rows = pa.Table.from_pandas(  # noqa: F841 (read by DuckDB by name)
                        pd.DataFrame(chunk, columns=list(result.keys())), preserve_index=False
                    )
                    loader.execute(
                        f"INSERT INTO CANARY.ANALYTICS.{table.upper()} SELECT * FROM rows"
                    )
        loader.close()
        engine.dispose()
        pg.dispose()
        yield snow


def week_under_test() -> date:
    """The week a run as of ``AS_OF`` tests (the latest complete one)."""
    return latest_complete_week(as_of_datetime(AS_OF), timedelta(days=1))


def _run(config: Path, as_of: date, *extra: str) -> tuple[float, float]:
    """``canary run`` of ``config`` as of ``as_of``, delivering nothing (``canary_command``)."""
    return canary_command(
        "run", "--config", str(config), "--quiet", "--no-deliver", "--as-of", str(as_of), *extra
    )


def new_week_run(config: Path, *extra: str, repeats: int = 1) -> tuple[float, float]:
    """A first run a week before (fills the store), then the new week's run (as every week:
    its week not yet checked, GE validating) with ``extra`` arguments; the new week's wall
    seconds and peak RSS (MB). With ``repeats``, the new week's run is made that many times
    on the store as the first run left it: the fastest wall, the highest peak RSS."""
    _run(config, AS_OF - timedelta(weeks=1))
    home = config.parent / ".canary"
    kept = config.parent / ".canary-week-before"
    shutil.copytree(home, kept)
    runs = []
    for _ in range(repeats):
        shutil.rmtree(home)
        shutil.copytree(kept, home)
        runs.append(_run(config, AS_OF, *extra))
    shutil.rmtree(kept)
    return min(w for w, _ in runs), max(r for _, r in runs)


def _weekly_runs(what: str, config: Path, bare: float, against: str, floor: float) -> float:
    """The new week's run (``new_week_run``) and a repeat of it (verdicts cached); prints
    each against ``bare``, whole and above the import ``floor``. Returns the new week's
    seconds."""
    took, rss = new_week_run(config)
    again, again_rss = _run(config, AS_OF)
    print(
        f"  {what}: weekly run {took:6.2f} s ({took - floor:.2f} s above the floor), peak RSS "
        f"{rss:5.0f} MB; {against} {bare:.2f} s -> {took / bare:.1f}x, above the floor "
        f"{(took - floor) / bare:.1f}x (repeat, verdicts cached: {again:.2f} s, "
        f"{again_rss:.0f} MB, {again / bare:.1f}x)"
    )
    return took


def _backfill(config: Path, url: str, week: date, weeks: int) -> None:
    """``canary backfill`` of every week the tables hold against their bare queries."""
    start = week - timedelta(weeks=weeks - 1)
    bare = _bare_sql(url, week, weeks - 1)
    argv = ["backfill", "--config", str(config), "--monitor", MONITOR, "--force"]
    took, rss = canary_command(
        *argv, "--from", str(start), "--to", str(week), "--as-of", str(AS_OF)
    )
    print(
        f"  sql  : backfill {weeks} weeks {took:6.2f} s, peak RSS {rss:5.0f} MB; bare SQL "
        f"{bare:.2f} s -> {took / bare:.1f}x"
    )


def measure(
    instances: int,
    weeks: int,
    floor: float,
    *,
    backtest: bool = False,
    keep: bool = False,
    backfill: bool = False,
    snowflake: bool = False,
) -> None:
    week = week_under_test()
    admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
    name, url = database(instances, weeks, week, admin)
    try:
        bare = min(_bare_sql(url, week) for _ in range(3))
        with tempfile.TemporaryDirectory(prefix="canary-scale-") as tmp:
            tables = {v: f"analytics.{v}" for v in catalog().views}
            config = monitor_config(Path(tmp) / "s", {"kind": "sql", "url": url, "tables": tables})
            took = _weekly_runs("sql  ", config, bare, "bare SQL", floor)
            if backfill:
                _backfill(config, url, week, weeks)
            files_dir = Path(tmp) / "exports"
            files_dir.mkdir()
            files = export_parquet(url, files_dir)
            duck = min(_duckdb_bare(files, week) for _ in range(3))
            fconfig = monitor_config(Path(tmp) / "f", {"kind": "files", "datasets": files})
            _weekly_runs("files", fconfig, duck, "DuckDB alone", floor)
            if snowflake:
                with snowflake_copy(url) as snow:
                    bare_snow = min(_bare_sql(snow, week) for _ in range(3))
                    source: dict[str, object] = {"kind": "sql", "url": snow, "tables": tables}
                    sconfig = monitor_config(Path(tmp) / "sf", source)
                    _weekly_runs("snow ", sconfig, bare_snow, "bare SQL on fakesnow", floor)
            if backtest and weeks >= 60:
                start = week - timedelta(weeks=51)
                back = [
                    "backtest",
                    "--config",
                    str(config),
                    "--monitor",
                    MONITOR,
                    "--from",
                    str(start),
                    "--to",
                    str(week),
                    "--as-of",
                    str(AS_OF),
                    "--json",
                    str(Path(tmp) / "bt.json"),
                ]
                btook, _ = canary_command(*back)
                print(f"  backtest 52 weeks {btook:.1f} s -> {btook / took:.1f}x one weekly run")
    finally:
        if not keep:
            with admin.connect() as con:
                con.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000x104,100000x104,1000000x8")
    parser.add_argument("--backtest", action="store_true", help="also a 52-week backtest")
    parser.add_argument("--backfill", action="store_true", help="also a backfill of every week")
    parser.add_argument(
        "--keep", action="store_true", help="keep the generated databases (reused next time)"
    )
    parser.add_argument(
        "--snowflake", action="store_true", help="also the sql source on fakesnow (Snowflake)"
    )
    args = parser.parse_args()
    floor, floor_rss = import_floor()
    print(f"import floor (canary.cli and GE): {floor:.2f} s, peak RSS {floor_rss:.0f} MB")
    for size in args.sizes.split(","):
        instances, weeks = (int(p) for p in size.split("x"))
        measure(
            instances,
            weeks,
            floor,
            backtest=args.backtest,
            keep=args.keep,
            backfill=args.backfill,
            snowflake=args.snowflake,
        )


if __name__ == "__main__":
    main()
