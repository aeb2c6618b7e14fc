"""Running a GE suite on a batch and turning each verdict into a ``CheckResult``."""

from __future__ import annotations

import dataclasses
import hashlib
import threading
from collections.abc import Collection
from datetime import date
from difflib import get_close_matches
from typing import Any

import pandas as pd

from canary.checks.ge_buffered import UnsupportedGE, buffer_results, check_release
from canary.checks.ge_import import import_ge
from canary.checks.reasons import missing_columns, reason
from canary.checks.suites import check_column, check_name
from canary.checks.verdict_cache import VerdictCache
from canary.errors import SourceError, SuiteError
from canary.jsonable import json_ready
from canary.masking import mask_row, mask_value
from canary.results import CheckResult
from canary.sources.sql.connection import (
    columns_only,
    engine_options,
    first_line,
    release_file,
)
from canary.statuses import Status
from canary.summary import WarehouseRows
from canary.url_secrets import scrub

SAMPLE_ROWS = 5


def require_url(rows: WarehouseRows) -> None:
    """``SourceError`` when ``rows`` lost their warehouse (blanked when sent to a worker)."""
    if not rows.url:
        raise SourceError(f"{rows.where}: the rows were not validated where they were pulled")


class GreatExpectations:
    """One ephemeral GE context per process, made (and GE imported) on the first validation
    or, after ``prepare``, in the background; suites are read from their files every run.
    ``cache`` keeps the verdicts of a batch and suite validated before (by default none)."""

    def __init__(self, cache: VerdictCache | None = None) -> None:
        self.cache = cache if cache is not None else VerdictCache()
        self._gx: Any = None
        self._context: Any = None
        self._batch: Any = None
        self._warming: threading.Thread | None = None
        self._warehouses: dict[str, Any] = {}  # URL -> GE SQL datasource
        self._queries: dict[tuple[str, str], Any] = {}  # (URL, SQL) -> batch definition
        self._adding = threading.Lock()  # the flow checks datasets in threads
        self._texts: set[str] = set()  # the SQL of every query batch (``columns_only``)

    def prepare(self) -> None:
        """Import GE and make its context in a background thread while sources query.

        GE's import takes seconds of a run (several times the queries of a small warehouse);
        a database query releases the interpreter, so both proceed at once. The first use of
        GE waits for the thread; if it failed there, the context is made again in the caller
        (raising what it raises)."""
        if self._gx is not None or self._warming is not None:
            return

        def warm() -> None:
            try:
                self._start()
            except Exception:  # made again, raising, by the first validation
                self._gx = None

        self._warming = threading.Thread(target=warm, name="canary-ge-import", daemon=True)
        self._warming.start()

    def _ready(self) -> None:
        if self._warming is not None:
            self._warming.join()
            self._warming = None
        if self._gx is None:
            self._start()

    def _start(self) -> None:
        gx = import_ge()
        from great_expectations.data_context.types.base import ProgressBarsConfig

        context = gx.get_context(mode="ephemeral")
        context.variables.progress_bars = ProgressBarsConfig(globally=False)
        asset = context.data_sources.add_pandas("canary").add_dataframe_asset("batch")
        self._batch = asset.add_batch_definition_whole_dataframe("whole")
        self._context = context
        self._gx = gx

    def unbuildable(self, expectations: list[dict[str, Any]]) -> dict[int, str]:
        """Index -> why GE cannot build that expectation (unknown type, bad arguments).

        GE would log a traceback and drop such an expectation, and the run would pass.
        The answer depends on the expectations alone, so it is kept with the verdicts.
        """

        def find() -> dict[str, str]:
            return {str(i): why for i, why in self._unbuildable(expectations).items()}

        found: dict[str, str] = self.cache.remember(
            ["unbuildable", expectations], pd.DataFrame(), find, _same, _same
        )
        return {int(i): why for i, why in found.items()}

    def _unbuildable(self, expectations: list[dict[str, Any]]) -> dict[int, str]:
        self._ready()
        from great_expectations.exceptions import ExpectationNotFoundError
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )
        from great_expectations.expectations.registry import (
            list_registered_expectation_implementations,
        )

        broken: dict[int, str] = {}
        for i, expectation in enumerate(expectations):
            kind = str(expectation.get("type"))
            try:
                ExpectationConfiguration(**expectation).to_domain_obj()
            except ExpectationNotFoundError:
                known = list_registered_expectation_implementations()
                hint = get_close_matches(kind, known, n=1)
                did = f" (did you mean {hint[0]!r})" if hint else ""
                broken[i] = f"unknown expectation type {kind!r}{did}"
            except Exception as exc:  # GE raises many types for bad arguments
                broken[i] = f"{kind} is not valid: {_problems(exc)}"
        return broken

    def run(
        self,
        suite_doc: dict[str, Any],
        batch: pd.DataFrame,
        parameters: dict[str, Any],
        result_format: str = "SUMMARY",
    ) -> list[Any]:
        """GE's expectation results for ``batch`` (in suite order)."""
        self._ready()
        suite = self._suite(suite_doc)
        # Batch.validate: no suite or result is added to the context's stores
        result = self._batch.get_batch(batch_parameters={"dataframe": batch}).validate(
            suite,
            expectation_parameters=parameters,
            result_format={"result_format": result_format},
        )
        return self.record(suite_doc, in_suite_order(result.results, suite_doc))

    def record(self, suite_doc: dict[str, Any], results: list[Any]) -> list[Any]:
        """Every suite's results pass here on their way out (``RecordingGE`` keeps them for
        Data Docs); returns them."""
        return results

    def run_sql(
        self,
        suite_doc: dict[str, Any],
        rows: WarehouseRows,
        parameters: dict[str, Any],
        result_format: str,
        index_columns: list[str],
    ) -> list[Any]:
        """GE's expectation results for rows in a warehouse, computed there by GE's SQL
        engine; a failing row comes back as its ``index_columns`` and the checked columns.

        Counts first, for every expectation, without fetching a failing value (GE bundles
        them into a few aggregate queries); then, unless ``result_format`` is BASIC, the
        expectations that failed again, for their sample rows. Raises ``SourceError`` (no
        password in it) when GE cannot reach the warehouse."""
        self._ready()
        try:
            return self._validate_sql(suite_doc, rows, parameters, result_format, index_columns)
        finally:
            self._release(rows.url)

    def _validate_sql(
        self,
        suite_doc: dict[str, Any],
        rows: WarehouseRows,
        parameters: dict[str, Any],
        result_format: str,
        index_columns: list[str],
    ) -> list[Any]:
        batch = self._warehouse_batch(rows, rows.sql)
        counts = {"result_format": "BASIC", "partial_unexpected_count": 0}
        results = batch.validate(
            self._suite(suite_doc), expectation_parameters=parameters, result_format=counts
        ).results
        failed = {
            _key_of(r) for r in results if not r.success and _raised(r.exception_info) is None
        }
        if result_format != "BASIC" and failed:
            again = {
                **suite_doc,
                "expectations": [e for e in suite_doc["expectations"] if _key(e) in failed],
            }
            fmt = {
                "result_format": result_format,
                "unexpected_index_column_names": index_columns,
                "partial_unexpected_count": SAMPLE_ROWS,
            }
            sampled = (
                self._warehouse_batch(rows, rows.ordered)
                .validate(self._suite(again), expectation_parameters=parameters, result_format=fmt)
                .results
            )
            by_key = {_key_of(r): r for r in sampled}
            results = [by_key.get(_key_of(r), r) for r in results]
        return in_suite_order(results, suite_doc)

    def _release(self, url: str) -> None:
        """Close the connections GE keeps to a DuckDB file (its datasource's engine, which
        reads a query's columns, and its execution engine's): kept while a suite runs
        (opening the file costs more than most of GE's queries), closed after it."""
        source = self._warehouses.get(url)
        if source is not None:
            release_file(url, source.get_engine(), source.get_execution_engine().engine)

    def _warehouse_batch(self, rows: WarehouseRows, sql: str) -> Any:
        """GE's batch of ``sql`` over ``rows``' warehouse (raises ``SourceError``)."""
        try:
            return self._query_batch(rows, sql).get_batch()
        except (SourceError, UnsupportedGE):  # the latter: canary's install, not the warehouse
            raise
        except Exception as exc:  # GE wraps the driver's errors in its own types
            raise SourceError(scrub(f"{rows.where}: {first_line(exc)}", rows.url)) from None

    def _query_batch(self, rows: WarehouseRows, sql: str) -> Any:
        """GE's batch definition of ``sql`` (a datasource per URL, an asset per query)."""
        require_url(rows)
        key = (rows.url, sql)
        with self._adding:
            if key in self._queries:
                return self._queries[key]
            source = self._warehouses.get(rows.url)
            if source is None:
                check_release()  # before GE keeps a datasource it could not use
                source = self._context.data_sources.add_sql(
                    f"warehouse-{len(self._warehouses)}",
                    connection_string=rows.url,
                    kwargs=engine_options(rows.url, rows.timeout),
                )
                engine = buffer_results(source.get_execution_engine())
                columns_only(engine.engine, self._texts)
                self._warehouses[rows.url] = source
            self._texts.add(sql)
            name = hashlib.sha256(sql.encode()).hexdigest()[:16]
            asset = source.add_query_asset(name, query=sql)
            self._queries[key] = asset.add_batch_definition_whole_table("whole")
            return self._queries[key]

    def own_result(self, expectation: dict[str, Any], success: bool, observed: Any) -> Any:
        """GE's result for an expectation canary judged itself (``canary.checks.in_warehouse``)."""
        self._ready()
        from great_expectations.core import ExpectationValidationResult
        from great_expectations.expectations.expectation_configuration import (
            ExpectationConfiguration,
        )

        return ExpectationValidationResult(
            success=success,
            expectation_config=ExpectationConfiguration(**expectation),
            result={"observed_value": observed},
        )

    def _suite(self, suite_doc: dict[str, Any]) -> Any:
        try:
            return self._gx.ExpectationSuite(
                name=str(suite_doc["name"]), expectations=suite_doc["expectations"]
            )
        except Exception as exc:  # GE raises many types for a bad suite document
            raise SuiteError(f"suite {suite_doc['name']}: {exc}") from exc


def in_suite_order(results: list[Any], suite_doc: dict[str, Any]) -> list[Any]:
    order = {_key(e): i for i, e in enumerate(suite_doc["expectations"])}
    return sorted(results, key=lambda r: order.get(_key_of(r), 0))


def _same(found: dict[str, str]) -> dict[str, str]:
    return found


def _problems(exc: Exception) -> str:
    """A one-line account of a bad expectation: each argument and what is wrong with it."""
    errors = getattr(exc, "errors", None)
    if callable(errors):  # pydantic's ValidationError (v1 or v2)
        found = errors()
        # A value that may also be a suite parameter ({"$PARAMETER": name}) fails both
        # ways: "not a valid dict" only says it is no parameter, so it goes when the
        # same argument has another complaint.
        locs = [e["loc"] for e in found]
        return "; ".join(
            f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in found
            if not (e["type"] in ("type_error.dict", "dict_type") and locs.count(e["loc"]) > 1)
        )
    return str(getattr(exc, "message", exc)).splitlines()[0]


def _raised(info: Any) -> str | None:
    """GE's exception message for a result, if it raised: ``exception_info`` is one
    ``{"raised_exception", "exception_message"}`` or a dict of them per metric."""
    if not isinstance(info, dict):
        return None
    if "raised_exception" in info:
        return str(info.get("exception_message")) if info.get("raised_exception") else None
    for each in info.values():
        if found := _raised(each):
            return found
    return None


def _name_of(result: Any) -> str:
    return check_name(_document(result))


def _document(result: Any) -> dict[str, Any]:
    config = result.expectation_config
    return {"type": config.type, "kwargs": config.kwargs, "meta": config.meta}


def _key(expectation: dict[str, Any]) -> tuple[str, str, str | None]:
    """What tells a suite's expectations apart (names repeat across columns)."""
    kwargs = expectation.get("kwargs") or {}
    return str(expectation.get("type")), check_name(expectation), check_column(kwargs)


def _key_of(result: Any) -> tuple[str, str, str | None]:
    return _key(_document(result))


def to_check(
    result: Any,
    *,
    monitor: str,
    dataset: str,
    week: date,
    columns: list[str],
    batch: pd.DataFrame | None,
    key_columns: list[str],
    personal_columns: set[str],
    known_columns: Collection[str] = (),
) -> CheckResult:
    """One GE expectation result as a ``CheckResult`` (masked sample rows included).

    ``columns`` are those of the batch validated; sample rows are read from ``batch`` when
    GE names failing rows by position, else (GE's SQL engine) from the rows GE returned.
    ``known_columns`` are those the dataset is defined with: a column of the pull outside
    them may be the new name of a missing one."""
    config = result.expectation_config
    kwargs = dict(config.kwargs)
    severity = str(getattr(config.severity, "value", config.severity) or "critical")
    name = _name_of(result)
    column = check_column(kwargs)
    meta = config.meta or {}
    tags: dict[str, Any] = {"family": meta.get("family"), "field_role": meta.get("field_role")}
    where = f"{dataset}, week {week.isoformat()}"
    detail: dict[str, Any] = dict(result.result or {})
    expected = {
        k: json_ready(kwargs[v])
        for k, v in (("min", "min_value"), ("max", "max_value"))
        if kwargs.get(v) is not None
    } or None
    broken: Status = "failed" if severity == "critical" else "warning"
    absent = [c for c in (column or "").split(",") if c and c not in columns]
    if absent:  # a renamed or removed field: a broken pipeline, whatever GE made of it
        new = [c for c in columns if c not in known_columns]
        text = missing_columns(absent, where, dataset, new)
        return CheckResult(
            monitor,
            dataset,
            name,
            broken,
            text,
            column,
            observed={"missing_columns": absent},
            expected=expected,
            severity=severity,
            **tags,
        )
    exc = _raised(result.exception_info)
    if exc is not None:
        text = f"{where}: the check could not run: {str(exc).splitlines()[0]}"
        return CheckResult(
            monitor,
            dataset,
            name,
            "error",
            text,
            column,
            severity=severity,
            expected=expected,
            **tags,
        )
    status: Status = "passed" if result.success else broken
    if "partial_unexpected_list" in detail:
        detail["partial_unexpected_list"] = [
            mask_value(v, (column or "") in personal_columns)
            for v in detail["partial_unexpected_list"]
        ]
    observed = detail.get("observed_value")
    if observed is None and detail.get("unexpected_count") is not None:
        observed = {
            "unexpected_count": detail.get("unexpected_count"),
            "unexpected_percent": detail.get("unexpected_percent"),
            "rows": detail.get("element_count"),
        }
    rows: list[dict[str, Any]] = []
    if status != "passed" and detail.get("partial_unexpected_index_list"):
        wanted = [c for c in [*key_columns, *(column or "").split(",")] if c in columns]
        wanted = list(dict.fromkeys(wanted))
        indexes = detail["partial_unexpected_index_list"][:SAMPLE_ROWS]
        positions = [i for i in indexes if isinstance(i, int)]
        if positions and batch is not None:
            picked = batch.iloc[positions][wanted].to_dict("records")
        else:  # GE's SQL engine: each failing row's index columns and checked columns
            picked = [{c: i[c] for c in wanted if c in i} for i in indexes if isinstance(i, dict)]
        rows = [mask_row(json_ready(r), personal_columns) for r in picked]
    return CheckResult(
        monitor,
        dataset,
        name,
        status,
        reason(config.type, kwargs, detail, bool(result.success), where),
        column,
        observed=json_ready(observed),
        expected=expected,
        severity=severity,
        sample_rows=rows,
        **tags,
    )


def checks_to_json(checks: list[CheckResult]) -> list[dict[str, Any]]:
    """Checks as JSON (before ``first_failed_week`` is known), for the verdict cache."""
    return [{**dataclasses.asdict(c), "first_failed_week": None} for c in checks]


def checks_from_json(rows: list[dict[str, Any]]) -> list[CheckResult]:
    return [CheckResult(**row) for row in rows]
