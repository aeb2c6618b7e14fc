"""The store's I/O: open (migrating to the newest schema), record a run, read history."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pandas as pd
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Connection, Engine, create_engine, delete, func, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, SQLAlchemyError

from canary.errors import StoreError
from canary.profile import METRIC_COLUMNS
from canary.results import CheckResult, PastCheck, RunResult
from canary.statuses import FAILING
from canary.store import revision
from canary.store.fallback import copy_missing
from canary.store.fallback import url_of as fallback_url
from canary.store.faults import advice, first_line, translate
from canary.store.locks import sqlite_file, store_lock
from canary.store.revision import MIGRATIONS
from canary.store.schema import check_results, dataset_schemas, metrics, runs, week_fingerprints
from canary.url_secrets import safe_url

#: Dataset -> week -> fingerprint of a series week (``canary.anomaly.reads``).
Fingerprints = Mapping[str, Mapping[date, str]]

#: Verdicts that make a week's numbers suspect.
DEFAULT_LOCK_TIMEOUT = 600.0


def may_make(folder: Path, home: Path) -> bool:
    """Whether canary makes a SQLite store's missing ``folder``: under ``home`` (data_dir)
    or the user's home directory (``~/.local/share/canary``, say), never elsewhere, so a
    mistyped URL makes no folders at the root of the disk."""
    return any(folder.resolve().is_relative_to(p.resolve()) for p in (home, Path.home()))


def _sqlite_folder(url: str, folder: Path, home: Path | None) -> None:
    """Make a SQLite file's folder where ``may_make`` allows (anywhere when no ``home``
    is given); elsewhere it must exist."""
    if folder.is_dir():
        return
    inside = home is None or may_make(folder, home)
    if not inside or folder.exists():
        problem = "is not a folder" if folder.exists() else "does not exist"
        raise StoreError(
            f"store {safe_url(url)}: {folder} {problem}; create it, or point the store URL "
            "(CANARY_STORE_URL or store.url) at a folder that exists, then run canary doctor"
        )
    folder.mkdir(parents=True, exist_ok=True)


def unmade_file(url: str) -> Path | None:
    """The SQLite file ``url`` names when it is not made yet: nothing is recorded there."""
    try:
        database = sqlite_file(make_url(url))
    except (ArgumentError, ValueError):
        return None  # opening the store says what is wrong with the URL
    return database if database is not None and not database.exists() else None


class Store:
    """Metrics, check results and runs in any SQLAlchemy database (SQLite by default).

    ``sole_writer``: nothing else writes the store while this object is open (a backtest's
    scratch store), so each dataset's metric history is read once and then kept in memory,
    updated by this object's own writes.

    ``fallback``: a SQLite file that keeps a run the store could not record (see
    ``canary.store.fallback``); opening the store copies in what it holds (unless not
    ``catch_up``).
    ``lock_timeout``: seconds to wait for another process's run or migration (``lock``).
    ``home``: the folder (``data_dir``) under which a SQLite file's missing folder is made;
    anywhere else that folder must already exist. Without it (a scratch store, whose caller
    chose the place) the folder is made wherever the URL says.
    """

    def __init__(
        self,
        url: str,
        *,
        sole_writer: bool = False,
        fallback: Path | None = None,
        lock_timeout: float = DEFAULT_LOCK_TIMEOUT,
        catch_up: bool = True,
        home: Path | None = None,
    ) -> None:
        self.url = url
        self.lock_timeout = lock_timeout
        self._history: dict[tuple[str, str], pd.DataFrame] | None = {} if sole_writer else None
        self.fallback = None if fallback is None or fallback_url(fallback) == url else fallback
        self.caught_up = 0
        try:
            parsed = make_url(url)
            if (
                parsed.get_backend_name() == "sqlite"
                and parsed.database
                and "uri" not in parsed.query
            ):
                _sqlite_folder(url, Path(parsed.database).parent, home)
            self.engine: Engine = create_engine(url, hide_parameters=True)
            translate(self.engine, url)
            self._migrate()
        except StoreError as exc:
            raise exc.doing("cannot open") from None
        except (SQLAlchemyError, OSError, ValueError) as exc:
            fault = first_line(exc)
            raise StoreError(
                f"store {safe_url(url)}: cannot open ({type(exc).__name__}: {fault})"
                f"{advice(url, fault)}",
                transient=isinstance(exc, SQLAlchemyError),
            ) from None
        if catch_up and self.fallback is not None and self.fallback.exists():
            self.caught_up = self._catch_up(self.fallback)

    def _catch_up(self, path: Path) -> int:
        """Copy in what the fallback file kept, then delete it; returns the rows copied."""
        kept = Store(fallback_url(path))
        try:
            with kept.engine.connect() as source, self.engine.begin() as target:
                copied = copy_missing(source, target)
        except StoreError as exc:
            raise exc.doing(f"cannot copy in the fallback store {path}") from None
        finally:
            kept.close()
        path.unlink()
        return copied

    def kept(self) -> Store:
        """The fallback store, for what this store cannot take now (alerts included)."""
        if self.fallback is None:
            raise StoreError(f"store {safe_url(self.url)}: no fallback store is configured")
        return Store(fallback_url(self.fallback), home=self.fallback.parent)

    def lock(self, monitor: str, week: date) -> AbstractContextManager[None]:
        """Hold the run lock of ``monitor`` and ``week``: one run of them at a time."""
        return store_lock(self.engine, f"run {monitor} {week}", self.lock_timeout)

    def _migrate(self) -> None:
        """Upgrade to the newest schema in one transaction (SQLite's DDL included, so a full
        disk leaves the store as it was); one process at a time, so fresh stores never race.
        A half-made store without rows is made again; one from a newer canary, or holding
        rows without a schema revision, is left as it is (``StoreError``)."""
        cfg = AlembicConfig()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        with (
            store_lock(self.engine, "migrations", self.lock_timeout),
            self.engine.begin() as connection,
        ):
            if connection.dialect.name == "sqlite":
                connection.exec_driver_sql("BEGIN")  # else each DDL commits alone
            state = revision.found(connection)
            problem = revision.trouble(state, self.where, revision.known_revisions())
            if problem:
                raise StoreError(problem)
            if state.half_made:
                for name in (*state.tables, revision.VERSIONS):
                    connection.exec_driver_sql(f'DROP TABLE IF EXISTS "{name}"')
            cfg.attributes["connection"] = connection
            command.upgrade(cfg, "heads")

    @property
    def where(self) -> str:
        """The store for people: a SQLite file's path, else the URL without its password."""
        database = sqlite_file(self.engine)
        return str(database) if database is not None else safe_url(self.url)

    def close(self) -> None:
        self.engine.dispose()

    def record_run(
        self,
        run: RunResult,
        metric_rows: pd.DataFrame,
        started_at: datetime,
        schemas: dict[str, dict[str, str]] | None = None,
        also: Callable[[Connection], object] | None = None,
        fingerprints: Fingerprints | None = None,
    ) -> None:
        """Replace everything stored for the run's monitor and week (a rerun never duplicates),
        with ``schemas`` (dataset -> column -> dtype of its pull), the series weeks'
        ``fingerprints`` and what ``also`` writes (its alert state and outbox), in one
        transaction.

        A rerun never overwrites a week's numbers with worse ones: a dataset the rerun judges
        bad (a failed or errored check) keeps the metrics and schema stored for the week, if
        any (the rerun's verdicts are stored, its numbers are not); a clean rerun replaces
        them, and a week's first run records its numbers whatever its verdicts."""
        key = {"monitor": run.monitor, "week": run.week}
        checks = [_check_row(run, c, i) for i, c in enumerate(run.checks)]
        try:
            with self.engine.begin() as con:
                kept = _already_measured(con, run)
                if kept and "dataset" in metric_rows:
                    metric_rows = metric_rows[~metric_rows["dataset"].isin(kept)]
                schemas = {d: c for d, c in (schemas or {}).items() if d not in kept}
                prints = {d: w for d, w in (fingerprints or {}).items() if d not in kept}
                metric_records = _metric_records(run.monitor, metric_rows)
                for table in (check_results, runs):
                    con.execute(
                        delete(table).where(
                            table.c.monitor == run.monitor, table.c.week == run.week
                        )
                    )
                _replace_metrics(con, run.monitor, metric_records)
                _replace_schemas(con, run.monitor, run.week, schemas or {})
                _replace_fingerprints(con, run.monitor, prints)
                if checks:
                    con.execute(insert(check_results), checks)
                con.execute(
                    insert(runs),
                    [
                        {
                            **key,
                            "status": run.status,
                            "started_at": started_at,
                            "finished_at": datetime.now(UTC),
                        }
                    ],
                )
                if also is not None:
                    also(con)
        except StoreError as exc:
            raise exc.doing(f"cannot record {run.monitor} week {run.week}") from None
        self._remember(run.monitor, metric_rows)

    def keep(
        self,
        run: RunResult,
        metric_rows: pd.DataFrame,
        started_at: datetime,
        schemas: dict[str, dict[str, str]] | None,
    ) -> Path | None:
        """Record the run in the fallback store instead; its path, or None when that fails too."""
        if self.fallback is None:
            return None
        try:
            kept = self.kept()
            try:
                kept.record_run(run, metric_rows, started_at, schemas)
            finally:
                kept.close()
        except StoreError:
            return None
        return self.fallback

    def record_history(
        self,
        monitor: str,
        metric_rows: pd.DataFrame,
        week: date,
        schemas: dict[str, dict[str, str]],
        fingerprints: Fingerprints | None = None,
    ) -> None:
        """Replace the stored metrics of every (dataset, week) in ``metric_rows``, the
        column types recorded for ``week`` (what "schema change" compares with) and the
        ``fingerprints`` of the series weeks read, in one transaction: a backfill stopped at
        any point has stored whole weeks or nothing."""
        records = _metric_records(monitor, metric_rows)
        try:
            with self.engine.begin() as con:
                _replace_metrics(con, monitor, records)
                _replace_schemas(con, monitor, week, schemas)
                _replace_fingerprints(con, monitor, fingerprints or {})
        except StoreError as exc:
            raise exc.doing(f"cannot record the history of {monitor} week {week}") from None
        self._remember(monitor, metric_rows)

    def _remember(self, monitor: str, written: pd.DataFrame) -> None:
        """Apply a write to the kept histories: its (dataset, week)s replace what was there."""
        if not self._history or written.empty:
            return
        for dataset, rows in written.groupby("dataset", sort=False):
            key = (monitor, str(dataset))
            if key not in self._history:
                continue
            kept = self._history[key]
            kept = kept[~kept["week"].isin(set(rows["week"]))]
            fresh = rows[METRIC_COLUMNS].astype({"value": "float64"})
            merged = pd.concat([kept, fresh], ignore_index=True)
            self._history[key] = merged.sort_values("week", kind="stable", ignore_index=True)

    def has_runs(self, monitor: str) -> bool:
        """Whether a run of ``monitor`` is recorded (a first run's backfill is complete)."""
        query = select(runs.c.week).where(runs.c.monitor == monitor).limit(1)
        with self.engine.connect() as con:
            return con.execute(query).first() is not None

    def metric_weeks(self, monitor: str, dataset: str) -> set[date]:
        """Weeks with stored metrics of a dataset (what a resumed backfill skips)."""
        query = (
            select(metrics.c.week)
            .where(metrics.c.monitor == monitor, metrics.c.dataset == dataset)
            .distinct()
        )
        with self.engine.connect() as con:
            return {row[0] for row in con.execute(query)}

    def past_checks(self, monitor: str, before: date, ids: Iterable[str]) -> dict[str, PastCheck]:
        """The latest stored result before ``before`` of each check id."""
        wanted = list(ids)
        if not wanted:
            return {}
        c = check_results.c
        latest = (
            select(c.check_id, func.max(c.week).label("week"))
            .where(c.monitor == monitor, c.week < before, c.check_id.in_(wanted))
            .group_by(c.check_id)
            .subquery()
        )
        query = select(c.check_id, c.week, c.status, c.first_failed_week).join_from(
            check_results,
            latest,
            (c.monitor == monitor) & (c.check_id == latest.c.check_id) & (c.week == latest.c.week),
        )
        with self.engine.connect() as con:
            return {row[0]: PastCheck(row[1], row[2], row[3]) for row in con.execute(query)}

    def metric_history(
        self,
        monitor: str,
        dataset: str | None = None,
        since: date | None = None,
        before: date | None = None,
    ) -> pd.DataFrame:
        """Stored metrics of ``monitor`` (optionally one dataset and weeks), oldest first."""
        if self._history is None or dataset is None:
            return self._query_metrics(monitor, dataset, since, before)
        key = (monitor, dataset)
        if key not in self._history:
            self._history[key] = self._query_metrics(monitor, dataset, None, None)
        kept = self._history[key]
        keep = pd.Series(True, index=kept.index)
        if since is not None:
            keep &= kept["week"] >= since
        if before is not None:
            keep &= kept["week"] < before
        return kept[keep].reset_index(drop=True)

    def _query_metrics(
        self, monitor: str, dataset: str | None, since: date | None, before: date | None
    ) -> pd.DataFrame:
        query = (
            select(*(metrics.c[c] for c in METRIC_COLUMNS))
            .where(metrics.c.monitor == monitor)
            .order_by(metrics.c.week)
        )
        if dataset is not None:
            query = query.where(metrics.c.dataset == dataset)
        if since is not None:
            query = query.where(metrics.c.week >= since)
        if before is not None:
            query = query.where(metrics.c.week < before)
        with self.engine.connect() as con:
            rows = con.execute(query).all()  # much faster than read_sql for many small rows
        frame = pd.DataFrame.from_records(rows, columns=METRIC_COLUMNS)
        frame["value"] = frame["value"].astype("float64")
        return frame

    def week_checks(self, week: date, monitors: Iterable[str]) -> dict[str, list[CheckResult]]:
        """The verdicts recorded for ``monitors`` in ``week``, in their run's order (without
        sample rows and details: what grouping them into incidents needs)."""
        wanted = list(monitors)
        if not wanted:
            return {}
        query = (
            select(check_results)
            .where(check_results.c.week == week, check_results.c.monitor.in_(wanted))
            .order_by(check_results.c.monitor, check_results.c.position)
        )
        found: dict[str, list[CheckResult]] = {}
        with self.engine.connect() as con:
            for row in con.execute(query):
                r = row._mapping
                found.setdefault(r["monitor"], []).append(
                    CheckResult(
                        r["monitor"],
                        r["dataset"],
                        r["check_name"],
                        r["status"],
                        r["reason"],
                        r["column_name"],
                        json.loads(r["segment"]) if r["segment"] else None,
                        json.loads(r["observed"]) if r["observed"] else None,
                        json.loads(r["expected"]) if r["expected"] else None,
                        r["severity"],
                        r["first_failed_week"],
                        family=r["family"],
                        field_role=r["field_role"],
                    )
                )
        return found

    def runs(self, monitor: str | None = None) -> list[dict[str, Any]]:
        query = select(runs).order_by(runs.c.week)
        if monitor is not None:
            query = query.where(runs.c.monitor == monitor)
        with self.engine.connect() as con:
            return [dict(r._mapping) for r in con.execute(query)]


def _already_measured(con: Connection, run: RunResult) -> set[str]:
    """Datasets the run judged bad whose numbers of the week are stored already."""
    bad_now = {c.dataset for c in run.checks if c.status in FAILING}
    if not bad_now:
        return set()
    query = (
        select(metrics.c.dataset)
        .where(
            metrics.c.monitor == run.monitor,
            metrics.c.week == run.week,
            metrics.c.dataset.in_(sorted(bad_now)),
        )
        .distinct()
    )
    return {d for (d,) in con.execute(query)}


def _metric_records(monitor: str, rows: pd.DataFrame) -> list[dict[str, Any]]:
    clean = rows.astype(object).where(rows.notna(), None)
    return [{"monitor": monitor, **r} for r in clean.to_dict("records")]


def _replace_metrics(con: Connection, monitor: str, records: list[dict[str, Any]]) -> None:
    """Delete the stored metrics of each (dataset, week) in ``records``, then insert them."""
    for dataset, week in sorted({(r["dataset"], r["week"]) for r in records}):
        con.execute(
            delete(metrics).where(
                metrics.c.monitor == monitor, metrics.c.dataset == dataset, metrics.c.week == week
            )
        )
    if records:
        con.execute(insert(metrics), records)


def _replace_fingerprints(con: Connection, monitor: str, found: Fingerprints) -> None:
    """Write ``found``, replacing the stored fingerprints of the same dataset and weeks."""
    t = week_fingerprints.c
    for dataset, weeks in found.items():
        if not weeks:
            continue
        con.execute(
            delete(week_fingerprints).where(
                t.monitor == monitor, t.dataset == dataset, t.week.in_(list(weeks))
            )
        )
        con.execute(
            insert(week_fingerprints),
            [
                {"monitor": monitor, "dataset": dataset, "week": w, "fingerprint": text}
                for w, text in weeks.items()
            ],
        )


def _replace_schemas(
    con: Connection, monitor: str, week: date, schemas: dict[str, dict[str, str]]
) -> None:
    for dataset, columns in schemas.items():
        t = dataset_schemas.c
        con.execute(
            delete(dataset_schemas).where(
                t.monitor == monitor, t.dataset == dataset, t.week == week
            )
        )
        con.execute(
            insert(dataset_schemas),
            [
                {
                    "monitor": monitor,
                    "dataset": dataset,
                    "week": week,
                    "columns": json.dumps(columns),
                }
            ],
        )


def _check_row(run: RunResult, check: CheckResult, position: int) -> dict[str, Any]:
    return {
        "monitor": run.monitor,
        "week": run.week,
        "check_id": check.id,
        "dataset": check.dataset,
        "check_name": check.check,
        "column_name": check.column,
        # the labels as the metrics key them: flagged weeks are matched to metric series
        "segment": json.dumps(check.series_segment, sort_keys=True) if check.segment else None,
        "status": check.status,
        "observed": json.dumps(check.observed),
        "expected": json.dumps(check.expected),
        "reason": check.reason,
        "severity": check.severity,
        "first_failed_week": check.first_failed_week,
        "position": position,
        "family": check.family,
        "field_role": check.field_role,
    }
