"""BigQuery as a dialect, without BigQuery: its settings reach the driver, its errors are
classed, and the SQL canary and GE send it (through the real driver, answered from DuckDB by
``tests.bigquery_duck``) is BigQuery's and gives what DuckDB's path gives on the same rows."""

from __future__ import annotations

import base64
import json
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from google.api_core import exceptions as api
from google.cloud.bigquery.dbapi import exceptions as dbapi
from pydantic import ValidationError

from canary.checks import validate
from canary.checks.validate import GreatExpectations
from canary.config import load_config
from canary.config_base import SecretRef
from canary.dashboards import catalog
from canary.errors import ConfigError, SourceError
from canary.pipeline import Plan, run_monitor
from canary.sample.generator import SampleSpec
from canary.sample.scenarios import CROSS_SOURCE, SCENARIOS
from canary.sample.warehouse import FILE_NAME, WarehouseSpec, ensure, url_of
from canary.sources.registry import BuildContext
from canary.sources.sql import connection
from canary.sources.sql import source as sql_source
from canary.sources.sql.config import SqlSourceConfig
from canary.sources.sql.connection import engine_for, engine_options, read_frame
from canary.sources.sql.dialects import BIGQUERY, dialect_of
from canary.sources.sql.source import SqlSource, build
from canary.store.db import Store
from canary.summary import TYPICAL_RATIO, TileSummary, WeekOverWeek
from canary.url_secrets import safe_url, scrub
from tests.bigquery_duck import DuckClient, engine
from tests.conftest import LATEST_WEEK, REPO, write_config

URL = "bigquery://canary-test/sample"
#: The URL of a source whose driver calls the client it is given (``tests.bigquery_duck``).
ANSWERED = f"{URL}?user_supplied_client=true"
DAY = timedelta(days=1)
MONITOR = "code-insights-all-instances"
#: How far a median may be from the exact one: BigQuery's is APPROX_QUANTILES (a value of
#: the column), DuckDB's translation of it a t-digest.
MEDIAN = 0.05


@pytest.fixture(scope="module")
def key() -> str:
    """A service-account key as Google issues it (JSON), with a fresh private key."""
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return json.dumps(
        {
            "type": "service_account",
            "project_id": "canary-test",
            "private_key_id": "k1",
            "private_key": pem,
            "client_email": "canary-reader@canary-test.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": "https://oauth2.googleapis.com/token",
        }
    )


def _answering(sample: Path, monkeypatch: pytest.MonkeyPatch) -> DuckClient:
    """BigQuery's driver calls a client answering from the sample's DuckDB file."""
    client = DuckClient(sample / FILE_NAME)
    own = connection.engine_for

    def engine_for(url: str, timeout: timedelta | None = None) -> sa.Engine:
        answered = sa.make_url(url).query.get("user_supplied_client") == "true"
        return engine(client, url) if answered else own(url, timeout)

    for module in (connection, sql_source):
        monkeypatch.setattr(module, "engine_for", engine_for)
    return client


def _monitor(source: str) -> dict[str, Any]:
    """A config's monitors: one of the instance tile on ``source``."""
    return {
        "pings": {
            "source": source,
            "dashboard": "all-instances",
            "suite_prefix": "all_instances",
            "alerts": {"channel": "#data-alerts"},
            "datasets": {"instance_usage": {}},
        }
    }


def _built(cfg: SqlSourceConfig, environ: dict[str, str], tmp_path: Path) -> SqlSource:
    board = catalog().dashboards["all-instances"]
    return build("bq", cfg, BuildContext(board, tmp_path, tmp_path, environ))


def test_canary_loads_google_libraries_only_for_a_bigquery_source() -> None:
    """Importing canary, and reading a DuckDB source with the BigQuery record present, loads
    none of Google's libraries (GE does when they are installed: canary imports it later)."""
    script = (
        "import sys\n"
        "import canary.cli\n"
        "from canary.sources.sql.connection import engine_for\n"
        "from canary.sources.sql.dialects import dialect_of\n"
        "assert dialect_of('bigquery://p/d').label == 'BigQuery'\n"
        "engine_for('duckdb:///:memory:')\n"
        "print(sorted(m for m in sys.modules if m.startswith(('google', 'sqlalchemy_bigquery'))))"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_key_and_the_bytes_limit_reach_the_driver_and_no_message(
    key: str, tmp_path: Path
) -> None:
    cfg = SqlSourceConfig(
        kind="sql", url=URL, credentials=SecretRef(env="BQ_KEY"), max_bytes_billed=10**9
    )
    source = _built(cfg, {"BQ_KEY": key}, tmp_path)
    bq = engine_for(source.url)
    # the client the driver would connect with (made here, nothing is sent)
    _, kwargs = bq.dialect.create_connect_args(bq.url)
    client = kwargs["client"]
    assert client.project == "canary-test"
    assert client._credentials.service_account_email.startswith("canary-reader@")
    assert client.default_query_job_config.maximum_bytes_billed == 10**9
    assert client.default_query_job_config.default_dataset.dataset_id == "sample"
    assert not bq.pool._pre_ping  # a ping would be a query job of its own before each read
    encoded = base64.b64encode(key.encode()).decode()
    shown = [repr(source), safe_url(source.url), source.where("weekly_pings")]
    shown.append(scrub(f"failed on {source.url} with {encoded}", source.url))
    assert not [s for s in shown if "PRIVATE KEY" in s or encoded[:40] in s]
    assert "maximum_bytes_billed=1000000000" in safe_url(source.url)


def test_the_key_is_listed_and_pushed_with_the_other_secrets(tmp_path: Path) -> None:
    from canary.prefect_ops.secret_blocks import secret_refs

    key = {"env": "CANARY_BIGQUERY_KEY", "prefect_block": "canary-bigquery-key"}
    path = write_config(
        tmp_path,
        sources={"warehouse": {"kind": "sql", "url": URL, "credentials": key}},
        monitors=_monitor("warehouse"),
    )
    refs = secret_refs(load_config(path, environ={}))
    assert refs["sources.warehouse.credentials"] == SecretRef(**key)


def test_doctor_runs_its_checks_as_bigquery_sql_and_says_what_is_approximate(
    shared_sample: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from canary.cli import main

    client = _answering(shared_sample, monkeypatch)
    path = write_config(
        tmp_path,
        sources={"warehouse": {"kind": "sql", "url": ANSWERED, "max_bytes_billed": 10**9}},
        monitors=_monitor("warehouse"),
    )
    code = main(["doctor", "--config", str(path), "--source", "warehouse"])
    flat = " ".join("".join(capsys.readouterr()).split())
    assert code == 0, flat
    assert "BigQuery: snapshot summaries (push-down) and GE's expectations as SQL run" in flat
    assert "approximate: medians of counters are APPROX_QUANTILES" in flat
    assert "connected to bigquery://canary-test/sample?maximum_bytes_billed=1000000000" in flat
    assert "table weekly_pings: 19 columns, 19 fields of view weekly_pings run" in flat
    assert any("count(*) AS n FROM weekly_pings WHERE week = @`p0`" in q for q in client.queries)


def test_no_credentials_anywhere_is_a_source_error_naming_the_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    monkeypatch.setenv("CLOUDSDK_CONFIG", str(tmp_path / "gcloud"))  # no gcloud login
    monkeypatch.setenv("NO_GCE_CHECK", "True")  # not on Google's cloud: no metadata server
    with pytest.raises(SourceError) as info:
        read_frame(URL, "SELECT 1", {}, DAY, "source bq")
    assert str(info.value).startswith(
        "bigquery://canary-test/sample: the driver could not start: Your default credentials "
        "were not found."
    )


def test_query_timeout_is_a_bigquery_job_timeout_for_canary_and_for_ge(
    shared_sample: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = _answering(shared_sample, monkeypatch)
    read_frame(ANSWERED, "SELECT count(*) AS n FROM weekly_pings", {}, timedelta(seconds=42), "t")
    job = client.jobs[-1]
    assert job is not None and int(job.job_timeout_ms) == 42_000
    options = engine_options(URL, timedelta(minutes=2))
    assert int(options["execution_options"]["job_config"].job_timeout_ms) == 120_000


def test_bigquery_settings_on_another_dialect_are_a_config_error(key: str, tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="max_bytes_billed: not taken by a PostgreSQL URL"):
        SqlSourceConfig(kind="sql", url="postgresql+psycopg://h/db", max_bytes_billed=1)
    cfg = SqlSourceConfig(kind="sql", url=SecretRef(env="URL"), credentials=SecretRef(env="BQ_KEY"))
    with pytest.raises(ConfigError, match=r"sources\.bq\.credentials: not taken by a DuckDB"):
        _built(cfg, {"URL": "duckdb:///w.duckdb", "BQ_KEY": key}, tmp_path)
    with pytest.raises(ValidationError, match="greater than or equal to 1"):
        SqlSourceConfig(kind="sql", url=URL, max_bytes_billed=0)
    # a secret URL that is none is left for the reads to name
    cfg = SqlSourceConfig(kind="sql", url=SecretRef(env="URL"), max_bytes_billed=5)
    with pytest.raises(SourceError, match="Could not parse SQLAlchemy URL"):
        _built(cfg, {"URL": "warehouse please"}, tmp_path).columns("weekly_pings")


def test_a_key_that_is_not_a_service_account_key_is_named_not_shown(tmp_path: Path) -> None:
    cfg = SqlSourceConfig(kind="sql", url=URL, credentials=SecretRef(env="BQ_KEY"))
    with pytest.raises(ConfigError) as info:
        _built(cfg, {"BQ_KEY": '{"type": "authorized_user", "refresh_token": "s3cret"}'}, tmp_path)
    assert str(info.value) == (
        "sources.bq.credentials (env BQ_KEY): not a service-account key (the JSON of one, "
        "type service_account)"
    )


@pytest.mark.parametrize(
    ("error", "transient"),
    [
        (api.ServiceUnavailable("backend down"), True),
        (api.InternalServerError("oops"), True),
        (api.TooManyRequests("slow down"), True),
        (api.DeadlineExceeded("late"), True),
        (api.BadRequest("Syntax error: Unexpected keyword"), False),
        (api.Forbidden("Access Denied: Table p:d.t"), False),
        (api.BadRequest("Query exceeded limit for bytes billed: 1000."), False),
    ],
)
def test_google_api_errors_are_transient_as_bigquery_says(
    error: Exception, transient: bool
) -> None:
    wrapped = sa.exc.DatabaseError("SELECT 1", {}, dbapi.DatabaseError(error))
    assert connection._transient(wrapped, URL) is transient


def test_the_week_hint_of_the_doctor_is_bigquery_sql_for_the_monday(shared_sample: Path) -> None:
    client = DuckClient(shared_sample / FILE_NAME)
    days = ["2026-11-16", "2026-11-19", "2026-11-22", "2026-11-23"]
    mondays = [
        pd.Timestamp(row[0]).date().isoformat()
        for day in days
        for row in client.query_and_wait(
            f"SELECT {BIGQUERY.week_start('day')} AS w FROM (SELECT DATE '{day}' AS day)"
        )
    ]
    assert mondays == ["2026-11-16", "2026-11-16", "2026-11-16", "2026-11-23"]


def test_bigquery_type_names_fall_in_the_suites_families() -> None:
    from canary.sources.sql.types import family

    names = {
        "INTEGER": "integer", "INT64": "integer", "FLOAT": "number", "FLOAT64": "number",
        "NUMERIC": "number", "BIGNUMERIC": "number", "STRING": "string", "JSON": "string",
        "BOOL": "boolean", "BOOLEAN": "boolean", "DATE": "date", "DATETIME": "date",
        "TIMESTAMP": "date", "BYTES": None, "GEOGRAPHY": None,
    }  # fmt: skip
    assert {n: family(n, BIGQUERY.types) for n in names} == names


@pytest.fixture
def twins(shared_sample: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, Any]]:
    """The sample as a DuckDB source and as a BigQuery one answered from the same file."""
    client = _answering(shared_sample, monkeypatch)
    board = catalog().dashboards["all-instances"]
    yield {
        "client": client,
        "duckdb": SqlSource("duck", url_of(shared_sample / FILE_NAME), board, DAY),
        "bigquery": SqlSource("bq", ANSWERED, board, DAY),
    }


def test_every_tile_query_is_bigquery_sql_reading_the_same_rows(twins: dict[str, Any]) -> None:
    assert dialect_of(URL) is BIGQUERY
    weeks = (LATEST_WEEK - 7 * DAY, LATEST_WEEK)
    for tile in catalog().dashboards["all-instances"].tiles:
        pd.testing.assert_frame_equal(
            twins["bigquery"].query(tile, weeks).frame, twins["duckdb"].query(tile, weeks).frame
        )
    assert len(twins["client"].queries) == len(catalog().dashboards["all-instances"].tiles)


def test_push_down_is_bigquery_sql_summarising_as_duckdb_does(twins: dict[str, Any]) -> None:
    tile = catalog().tiles["instance_usage"]
    bq = twins["bigquery"].summarize(tile, LATEST_WEEK)
    duck = twins["duckdb"].summarize(tile, LATEST_WEEK)
    _assert_same_profile(bq, duck)
    assert bq.changes is not None and duck.changes is not None
    _assert_same_changes(bq.changes, duck.changes)
    weeks = [LATEST_WEEK - 7 * DAY * i for i in range(4)]
    backfill = twins["bigquery"].weekly_summaries(tile, weeks)
    assert backfill is not None
    for (week, got), (_, want) in zip(
        backfill, twins["duckdb"].weekly_summaries(tile, weeks), strict=True
    ):
        assert not got.metrics.empty and set(got.metrics["week"]) == {week}
        _assert_same_profile(got, want)
    queries = twins["client"].queries
    assert any("APPROX_QUANTILES" in q for q in queries)
    assert not [q for q in queries if "WITHIN GROUP" in q or '"' in q]


def _assert_same_profile(bq: TileSummary, duck: TileSummary) -> None:
    """Equal metrics; the typical instance's ratio (a median: APPROX_QUANTILES in BigQuery,
    DuckDB's own approximation once transpiled) within 5%."""
    keys = ["week", "column_name", "segment", "metric"]
    for median in (False, True):
        pd.testing.assert_frame_equal(
            *(
                m[(m["metric"] == TYPICAL_RATIO) == median].sort_values(keys).reset_index(drop=True)
                for m in (bq.metrics, duck.metrics)
            ),
            check_dtype=False,
            rtol=0.05 if median else 1e-12,
        )
    assert (bq.schema, bq.key_problem, bq.rows) == (duck.schema, duck.key_problem, duck.rows)


def _assert_same_changes(bq: WeekOverWeek, duck: WeekOverWeek) -> None:
    """Week-over-week comparisons equal, medians as close as an approximate quantile is."""
    assert (bq.copied, bq.version) == (duck.copied, duck.version)
    pd.testing.assert_frame_equal(bq.counters, duck.counters, check_dtype=False, rtol=MEDIAN)
    assert bq.movers is not None and duck.movers is not None
    order = ["column", "moved", "label"]
    pd.testing.assert_frame_equal(
        bq.movers.sort_values(order).reset_index(drop=True),
        duck.movers.sort_values(order).reset_index(drop=True),
        check_dtype=False,
        rtol=MEDIAN,
    )
    assert bq.versions is not None and duck.versions is not None
    pd.testing.assert_frame_equal(
        bq.versions.sort_values(["column", "label"]).reset_index(drop=True),
        duck.versions.sort_values(["column", "label"]).reset_index(drop=True),
        check_dtype=False,
    )


@pytest.mark.parametrize("slug", sorted(set(SCENARIOS) - set(CROSS_SOURCE)))
def test_a_monitor_on_bigquery_gives_the_verdicts_of_duckdb(
    slug: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole run, GE's expectations compiled by its SQL engine for BigQuery included."""
    spec = WarehouseSpec(SampleSpec(end_week=LATEST_WEEK, weeks=16), slug, LATEST_WEEK)
    warehouse = ensure(tmp_path / "warehouse", spec)
    client = _answering(warehouse.parent, monkeypatch)
    flagged = {"connect_args": {"client": client}}  # GE's engine on BigQuery (not DuckDB's)
    monkeypatch.setattr(
        validate,
        "engine_options",
        lambda url, t: {**engine_options(url, t), **(flagged if url == ANSWERED else {})},
    )
    board = catalog().dashboards["all-instances"]
    config = load_config(REPO / "canary.yaml")
    verdicts = {}
    for name, url in {"duckdb": url_of(warehouse), "bigquery": ANSWERED}.items():
        plan = Plan(
            MONITOR,
            config.monitors[MONITOR],
            board,
            SqlSource(name, url, board, DAY),
            LATEST_WEEK,
            REPO / "expectations",
        )
        store = Store(f"sqlite:///{tmp_path / name}.db")
        run = run_monitor(plan, store, GreatExpectations())
        store.close()
        verdicts[name] = sorted((c.id, c.status) for c in run.checks)
    assert not [c for c in verdicts["bigquery"] if c[1] == "error"]
    assert verdicts["bigquery"] == verdicts["duckdb"]
    # GE's expectations ran as BigQuery SQL (its metric queries), not on pulled rows
    assert any("column_values_nonnull_unexpected_count" in q for q in client.queries)
    # and every job, canary's and GE's, carried the query timeout
    assert {int(j.job_timeout_ms) for j in client.jobs if j is not None} == {300_000}
    assert None not in client.jobs
