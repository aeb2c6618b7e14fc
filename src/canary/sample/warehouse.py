"""The sample warehouse on disk: pings encoded as JSON in DuckDB, plus the views tiles query."""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from canary.errors import SourceError
from canary.sample.generator import COUNTERS, TYPES_PREFIX, USAGE, SampleSpec, generate
from canary.sample.scenarios import SCENARIOS, inject
from canary.sample.tracking import tracked_views
from canary.sources.sql.connection import read_frame

#: Bump when the generator's output changes, so cached warehouses are rebuilt.
GENERATOR_VERSION = 5
FILE_NAME = "sample.duckdb"


@dataclass(frozen=True)
class WarehouseSpec:
    """A sample warehouse: what was generated and which breakage, if any, was injected."""

    sample: SampleSpec
    scenario: str | None = None
    scenario_week: date | None = None

    def fingerprint(self) -> str:
        raw = {"v": GENERATOR_VERSION, **asdict(self)}
        return json.dumps(raw, default=str, sort_keys=True)


def _usage_json_sql(columns: list[str]) -> str:
    """DuckDB expression building the usage object from the frame's ``usage.*`` columns."""
    keys = [c for c in columns if c.startswith(USAGE) and not c.startswith(TYPES_PREFIX)]
    types = [c for c in columns if c.startswith(TYPES_PREFIX)]
    members = [f"'{c[len(USAGE) :]}': \"{c}\"" for c in keys]
    if types:
        items = ", ".join(
            f"{{'name': '{c[len(TYPES_PREFIX) :]}', 'count': \"{c}\"}}" for c in types
        )
        members.append(f"'InsightsByType': list_filter([{items}], lambda t: t.count IS NOT NULL)")
    obj = "{" + ", ".join(members) + "}"
    return (
        "CASE usage_state WHEN 'null' THEN NULL WHEN 'empty' THEN '{}' "
        f"ELSE to_json({obj})::VARCHAR END"
    )


def _weekly_pings_sql() -> str:
    counters = ",\n  ".join(
        f"TRY_CAST(json_extract_string(code_insights_usage, '$.{key}') AS BIGINT) AS {column}"
        for key, column in COUNTERS.items()
    )
    return f"""
CREATE TABLE weekly_pings AS SELECT
  site_id, week, instance_label, admin_email, license_key, version,
  coalesce(nullif(regexp_extract(version, '^v?(\\d{{1,2}}\\.\\d+)\\.', 1), ''), 'other')
    AS version_minor,
  deploy_type,
  {counters}
FROM pings"""


INSIGHT_TYPES_SQL = """
CREATE TABLE insight_types AS SELECT site_id, week, instance_label,
  t.name AS insight_type, t.count AS insights
FROM (
  SELECT site_id, week, instance_label, unnest(from_json(
    json_extract(code_insights_usage, '$.InsightsByType'),
    '[{"name": "VARCHAR", "count": "BIGINT"}]')) AS t
  FROM pings)"""


def write(
    frame: pd.DataFrame,
    tracked: pd.DataFrame | None = None,
    *,
    path: Path,
    spec: WarehouseSpec,
) -> None:
    """Write ``frame`` as the warehouse at ``path`` (atomically: readers never see half),
    with the ``tracked`` page views (default: the share ``frame``'s own pings show)."""
    if tracked is None:
        tracked = tracked_views(frame, spec.sample.seed)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=".sample-", suffix=".duckdb", dir=path.parent)
    os.close(fd)
    os.unlink(tmp_name)
    con = duckdb.connect(tmp_name)
    try:
        con.register("raw", frame)
        con.execute(
            "CREATE TABLE pings AS SELECT site_id, week::DATE AS week, instance_label, "
            "admin_email, license_key, version, deploy_type, "
            f"{_usage_json_sql(list(frame.columns))} AS code_insights_usage FROM raw"
        )
        con.unregister("raw")
        con.execute(_weekly_pings_sql())
        con.execute(INSIGHT_TYPES_SQL)
        con.register("tracked", tracked)
        con.execute(
            "CREATE TABLE tracked_pages AS SELECT week::DATE AS week, instance_label, "
            "page_views::BIGINT AS page_views FROM tracked"
        )
        con.unregister("tracked")
        con.execute("CREATE TABLE sample_meta (fingerprint VARCHAR)")
        con.execute("INSERT INTO sample_meta VALUES (?)", [spec.fingerprint()])
    finally:
        con.close()
    os.replace(tmp_name, path)


def url_of(path: Path) -> str:
    """The SQLAlchemy URL of a warehouse file (every reader opens it through the sql source's
    engine, so that DuckDB sees one configuration per file)."""
    return f"duckdb:///{path}"


def _stored_fingerprint(path: Path) -> str | None:
    if not path.exists():
        return None
    try:
        row = read_frame(
            url_of(path), "SELECT fingerprint FROM sample_meta", {}, timedelta(minutes=1), ""
        )
    except SourceError:
        return None
    return str(row["fingerprint"].iloc[0]) if len(row) else None


def with_scenario(
    frame: pd.DataFrame, spec: WarehouseSpec
) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """The pings and tracked page views of ``spec``'s scenario (none: ``frame`` as it is,
    its own tracked page views). A breakage of the pings leaves what the browser tracked of
    the usage whole; a product change moves both; a tracking breakage only the tracked."""
    if spec.scenario is None:
        return frame, None
    week = spec.scenario_week or spec.sample.end_week
    scenario = SCENARIOS[spec.scenario]
    tracked = tracked_views(frame, spec.sample.seed)
    if scenario.tracking:
        return frame, inject(tracked, spec.scenario, week, spec.sample)
    changed = inject(frame, spec.scenario, week, spec.sample)
    return changed, tracked if scenario.kind == "breakage" else None


def ensure(data_dir: Path, spec: WarehouseSpec) -> Path:
    """The warehouse for ``spec`` under ``data_dir``, generated on first use."""
    path = data_dir / FILE_NAME
    if _stored_fingerprint(path) != spec.fingerprint():
        write(*with_scenario(generate(spec.sample), spec), path=path, spec=spec)
    return path
