"""Looker's ``json_bi`` answers as typed frames (pure).

Field metadata (dimension, measure or table calculation, and its Looker type) gives each
column its dtype: dates, integers with nulls, numbers, booleans, strings. ``view.field``
names become snake_case columns; the result keeps column -> original name for messages.
Cells are plain values or ``{"value", "rendered"}`` objects; rows come under ``rows``
(``data`` before Looker 24.4); a row holding ``looker_error`` is Looker's own failure.
Anything that is not the promised shape raises ``BodyError`` saying what is wrong.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import pandas as pd

Kind = Literal["date", "integer", "number", "boolean", "string"]
FIELD_GROUPS = ("dimensions", "measures", "table_calculations")
ROW_KEYS = ("rows", "data")  # "data" before Looker 24.4
_INTEGER_TYPES = {"count", "count_distinct", "int"}
_NUMBER_TYPES = {
    "number",
    "sum",
    "sum_distinct",
    "average",
    "average_distinct",
    "median",
    "median_distinct",
    "percentile",
    "percentile_distinct",
    "percent_of_total",
    "running_total",
    "max",
    "min",
}


class BodyError(ValueError):
    """The answer is not the json_bi document Looker promises."""


@dataclass(frozen=True)
class Result:
    """A typed frame and, per column, the Looker field it came from."""

    frame: pd.DataFrame
    fields: dict[str, str]  # column -> "view.field"


def kind_of(looker_type: str | None) -> Kind:
    """The dtype family of a Looker field type."""
    kind = (looker_type or "string").lower()
    if kind in ("date", "time") or kind.startswith(("date_", "time_")):
        return "date"
    if kind in _INTEGER_TYPES:
        return "integer"
    if kind in _NUMBER_TYPES:
        return "number"
    if kind == "yesno":
        return "boolean"
    return "string"


def column_name(field: str) -> str:
    """``weekly_pings.Total Page-Views`` -> ``total_page_views``."""
    return re.sub(r"[^0-9a-z]+", "_", field.rsplit(".", 1)[-1].lower()).strip("_") or "value"


def _boolean(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return pd.NA
    text = str(value).strip().lower()
    if text in ("yes", "true", "1"):
        return True
    if text in ("no", "false", "0"):
        return False
    raise ValueError(f"not yes or no: {value!r}")


def _integers(series: pd.Series) -> pd.Series:
    numbers = pd.to_numeric(series, errors="raise")
    if not ((numbers.dropna() % 1) == 0).all():
        raise ValueError("has fractional values")
    return numbers.astype("Int64")


COERCE: dict[Kind, Callable[[pd.Series], pd.Series]] = {
    "date": lambda s: pd.to_datetime(s, errors="raise").astype("datetime64[ns]"),
    "integer": _integers,
    "number": lambda s: pd.to_numeric(s, errors="raise").astype("float64"),
    "boolean": lambda s: s.map(_boolean).astype("boolean"),
    "string": lambda s: s.map(lambda v: None if v is None else str(v)).astype("object"),
}


def _coerce(values: list[Any], kind: Kind, name: str) -> pd.Series:
    series = pd.Series(values, dtype="object")
    try:
        return COERCE[kind](series)
    except (ValueError, TypeError, OverflowError):
        bad = next((v for v in values if _fails(v, kind)), None)
        raise BodyError(f"field {name} should hold {kind} values but has {bad!r}") from None


def _fails(value: Any, kind: Kind) -> bool:
    try:
        COERCE[kind](pd.Series([value], dtype="object"))
    except (ValueError, TypeError, OverflowError):
        return True
    return False


def _document(body: str | bytes) -> tuple[dict[str, Any], list[Any]]:
    """The parsed answer and its rows (``rows``, or ``data`` before Looker 24.4)."""
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        raise BodyError("the answer is empty")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        if text.lstrip()[:1] == "<":
            raise BodyError("the answer is an HTML page, not JSON") from None
        raise BodyError(
            f"the answer is not valid JSON ({exc.msg} at character {exc.pos} of "
            f"{len(text)}; truncated?)"
        ) from None
    rows = next(
        (doc[k] for k in ROW_KEYS if isinstance(doc, dict) and isinstance(doc.get(k), list)), None
    )
    if rows is None:
        raise BodyError("the answer is JSON but not a json_bi result (no rows)")
    failed = next((r for r in rows if isinstance(r, dict) and "looker_error" in r), None)
    if failed is not None:
        raise BodyError(f"Looker could not run the query: {str(failed['looker_error'])[:300]}")
    fields = (
        (doc.get("metadata") or {}).get("fields") if isinstance(doc.get("metadata"), dict) else None
    )
    if not isinstance(fields, dict):
        raise BodyError("the answer is JSON but not a json_bi result (no metadata.fields)")
    return doc, rows


def _fields(doc: dict[str, Any]) -> list[tuple[str, str | None]]:
    meta = doc["metadata"]["fields"]
    if meta.get("pivots") or doc["metadata"].get("pivots"):
        raise BodyError("the query pivots; canary reads unpivoted tiles only")
    out: list[tuple[str, str | None]] = []
    for group in FIELD_GROUPS:
        entries = meta.get(group) or []
        if not isinstance(entries, list):
            raise BodyError(f"metadata.fields.{group} is not a list")
        for entry in entries:
            if not isinstance(entry, dict) or not isinstance(entry.get("name"), str):
                raise BodyError(f"metadata.fields.{group} has an entry without a name")
            kind = entry.get("type")
            out.append((entry["name"], kind if isinstance(kind, str) else None))
    return out


def _columns(names: Sequence[str], renames: Mapping[str, str]) -> dict[str, str]:
    """Field -> column; where two fields share a column, the view is kept in the name."""
    plain = {n: renames.get(n) or column_name(n) for n in names}
    clashes = {c for c in plain.values() if list(plain.values()).count(c) > 1}
    return {
        n: (re.sub(r"[^0-9a-z]+", "_", n.lower()).strip("_") if c in clashes else c)
        for n, c in plain.items()
    }


def parse(body: str | bytes, asked: Sequence[str], renames: Mapping[str, str]) -> Result:
    """The typed frame of a json_bi ``body``; every field in ``asked`` must be in it."""
    doc, rows = _document(body)
    fields = _fields(doc)
    names = [name for name, _ in fields]
    missing = [f for f in asked if f not in names]
    if missing:
        raise BodyError(
            f"the answer lacks field {', '.join(missing)} (it has {', '.join(names) or 'none'})"
        )
    for i, row in enumerate(rows):
        if not isinstance(row, dict):
            raise BodyError(f"row {i} is not an object")
        absent = [n for n in names if n not in row]
        if absent:
            raise BodyError(f"row {i} lacks field {', '.join(absent)}")
    columns = _columns(names, renames)
    data = {
        columns[name]: _coerce([_cell(row[name], name) for row in rows], kind_of(kind), name)
        for name, kind in fields
    }
    frame = pd.DataFrame(data, index=pd.RangeIndex(len(rows)))
    return Result(frame, {column: name for name, column in columns.items()})


def _cell(value: Any, name: str) -> Any:
    """A cell's value: plain, or the ``value`` of a ``{"value", "rendered"}`` object."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if isinstance(value, dict | list):
        raise BodyError(f"field {name} holds nested values (a pivot?)")
    return value
