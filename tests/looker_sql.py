"""The Looker stand-in's model and SQL compiler, written from Looker's documentation.

``load_model`` reads the LookML-like ``looker_model.yaml``; ``compile_query`` turns a
Looker API 4.0 query body (model, view, fields, filters, sorts, limit) into DuckDB SQL the
way Looker generates it:

- dimensions are selected by their ``sql`` (``${TABLE}`` and ``${field}`` substituted);
  a ``date_week`` dimension is truncated to its week (Monday);
- measures: ``count`` is ``COUNT(*)``, ``count_distinct`` ``COUNT(DISTINCT x)``, ``sum``
  ``COALESCE(SUM(x), 0)`` (Looker's sum of nothing is 0, not null), ``max``/``min``
  ``MAX(x)``/``MIN(x)``;
- every dimension is grouped by (so identical rows collapse), filters on dimensions go to
  WHERE and on measures to HAVING;
- sorts are honoured (``view.field`` ascending, ``view.field desc``); without any, the
  first date dimension descending, else the first measure descending, else the first
  dimension ascending;
- the row limit is the run's ``limit``, else the query's, else 5000; ``-1`` is unlimited.

Filter expressions follow Looker's "filter expressions" reference: strings (``FOO``,
``FOO,BAR``, ``%FOO%``, ``_UF``, ``-FOO``, ``EMPTY``, ``NULL``, ``-NULL``, ``^`` escapes),
numbers (``5``, ``>=5``, ``NOT 5``, ``1 to 10``, ``NULL``, ``NOT NULL``) and dates
(``7 days``, ``3 weeks``, ``before D``, ``after D``, ``D to E`` with E excluded, ``D``,
``YYYY``, ``NULL``, ``NOT NULL``). Anything else is a ``QueryError``, answered 400.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import yaml

MODEL_FILE = Path(__file__).with_name("looker_model.yaml")
DEFAULT_LIMIT = 5000  # rows of a query run without any limit
MEASURES = {
    "count": "COUNT(*)",
    "count_distinct": "COUNT(DISTINCT {})",
    "sum": "COALESCE(SUM({}), 0)",
    "max": "MAX({})",
    "min": "MIN({})",
}
NUMERIC = {"number", *MEASURES}
_REF = re.compile(r"\$\{(\w+)\}")


class QueryError(ValueError):
    """A query Looker refuses: answered with ``status`` (400, or 404 for an unknown model or
    explore) and this message."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@dataclass(frozen=True)
class LookerField:
    """A LookML field: ``category`` dimension or measure, ``type`` its LookML type."""

    view: str
    name: str
    category: str
    type: str
    sql: str
    label: str

    @property
    def ref(self) -> str:
        return f"{self.view}.{self.name}"

    @property
    def numeric(self) -> bool:
        return self.type in NUMERIC


@dataclass(frozen=True)
class LookerView:
    name: str
    label: str
    table: str
    fields: dict[str, LookerField]


@dataclass(frozen=True)
class Model:
    """The model: views, explores (explore -> view), dashboards and looks as written."""

    name: str
    views: dict[str, LookerView]
    explores: dict[str, str]
    dashboards: dict[str, dict[str, Any]]
    looks: dict[str, str]  # look id -> element name


@dataclass(frozen=True)
class Compiled:
    """A query as SQL, with the fields it selects in order."""

    sql: str
    fields: list[LookerField]


def load_model(path: Path = MODEL_FILE) -> Model:
    """The model in ``path``."""
    raw = yaml.safe_load(path.read_text())
    views: dict[str, LookerView] = {}
    for vname, vraw in raw["views"].items():
        fields: dict[str, LookerField] = {}
        for category in ("dimension", "measure"):
            for fname, fraw in (vraw.get(category + "s") or {}).items():
                if category == "measure" and fraw["type"] not in MEASURES:
                    raise ValueError(f"{vname}.{fname}: measure type {fraw['type']!r}")
                fields[fname] = LookerField(
                    vname, fname, category, fraw["type"], fraw.get("sql", ""), fraw["label"]
                )
        views[vname] = LookerView(vname, vraw["label"], vraw["sql_table_name"], fields)
    explores = {name: e["view"] for name, e in raw["explores"].items()}
    return Model(
        raw["model"], views, explores, dict(raw["dashboards"]), dict(raw.get("looks") or {})
    )


def field_sql(view: LookerView, field: LookerField, seen: tuple[str, ...] = ()) -> str:
    """The SQL of ``field`` with ``${TABLE}`` and ``${dimension}`` references resolved."""
    if field.name in seen:
        raise ValueError(f"{field.ref}: its sql refers to itself")

    def ref(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "TABLE":
            return view.name
        if name not in view.fields or view.fields[name].category != "dimension":
            raise ValueError(f"{field.ref}: ${{{name}}} is not a dimension of {view.name}")
        return dimension_sql(view, view.fields[name], (*seen, field.name))

    return _REF.sub(ref, field.sql)


def dimension_sql(view: LookerView, field: LookerField, seen: tuple[str, ...] = ()) -> str:
    """What a dimension selects (a week dimension truncated to Monday)."""
    sql = field_sql(view, field, seen)
    return f"CAST(DATE_TRUNC('week', {sql}) AS DATE)" if field.type == "date_week" else sql


def select_sql(view: LookerView, field: LookerField) -> str:
    if field.category == "measure":
        return MEASURES[field.type].format(field_sql(view, field))
    return dimension_sql(view, field)


def compile_query(
    model: Model, body: Mapping[str, Any], limit: str | None, today: date
) -> Compiled:
    """The SQL Looker would run for the query ``body`` (``limit``: the run's own limit)."""
    view = _view(model, body)
    fields = [_field(view, str(ref)) for ref in body.get("fields") or []]
    if not fields:
        raise QueryError("The query has no fields")
    select = [f'{select_sql(view, f)} AS "{f.ref}"' for f in fields]
    where: list[str] = []
    having: list[str] = []
    for ref, expr in (body.get("filters") or {}).items():
        if expr in (None, ""):
            continue  # an empty filter is no filter
        f = _field(view, str(ref))
        if f.category == "measure":
            having.append(filter_sql(f, select_sql(view, f), str(expr), today))
        else:  # dimension filters test the untruncated value, as Looker's do
            where.append(filter_sql(f, field_sql(view, f), str(expr), today))
    sql = "SELECT\n    " + ",\n    ".join(select) + f"\nFROM {view.table} AS {view.name}"
    if where:
        sql += "\nWHERE " + "\n    AND ".join(where)
    dims = [i for i, f in enumerate(fields, start=1) if f.category == "dimension"]
    if dims:
        sql += "\nGROUP BY " + ", ".join(map(str, dims))
    if having:
        sql += "\nHAVING " + "\n    AND ".join(having)
    sql += "\nORDER BY " + ", ".join(_order(fields, [str(s) for s in body.get("sorts") or []]))
    rows = _limit(limit if limit not in (None, "") else body.get("limit"))
    if rows is not None:
        sql += f"\nLIMIT {rows}"
    return Compiled(sql, fields)


def _view(model: Model, body: Mapping[str, Any]) -> LookerView:
    if body.get("model") != model.name:
        raise QueryError(f"Model {body.get('model')!r} not found", 404)
    explore = str(body.get("view"))
    if explore not in model.explores:
        raise QueryError(f"Explore {explore!r} not found in {model.name}", 404)
    return model.views[model.explores[explore]]


def _field(view: LookerView, ref: str) -> LookerField:
    vname, _, name = ref.partition(".")
    if vname != view.name or name not in view.fields:
        raise QueryError(f"Unknown field {ref!r} in explore {view.name!r}")
    return view.fields[name]


def _order(fields: list[LookerField], sorts: list[str]) -> list[str]:
    """ORDER BY terms by column position: the query's sorts, else Looker's default."""
    position = {f.ref: i for i, f in enumerate(fields, start=1)}
    if not sorts:
        newest = next((f for f in fields if f.type == "date_week"), None)
        largest = next((f for f in fields if f.category == "measure"), None)
        first = newest or largest
        sorts = [f"{first.ref} desc"] if first else [fields[0].ref]
    terms = []
    for sort in sorts:
        ref, _, direction = sort.strip().partition(" ")
        if ref not in position:
            raise QueryError(f"Cannot sort by {ref!r}: it is not a field of the query")
        if direction.strip().lower() not in ("", "asc", "desc"):
            raise QueryError(f"Unknown sort direction in {sort!r}")
        desc = direction.strip().lower() == "desc"
        terms.append(f"{position[ref]} {'DESC NULLS LAST' if desc else 'ASC NULLS LAST'}")
    return terms


def _limit(raw: Any) -> int | None:
    if raw in (None, ""):
        return DEFAULT_LIMIT
    try:
        rows = int(str(raw))
    except ValueError:
        raise QueryError(f"Invalid row limit {raw!r}") from None
    if rows == -1:
        return None
    if rows < 1:
        raise QueryError(f"Invalid row limit {raw!r}")
    return rows


# --- filter expressions ----------------------------------------------------------------


def filter_sql(field: LookerField, sql: str, expr: str, today: date) -> str:
    """The SQL test of Looker filter expression ``expr`` on ``field`` (``sql`` its value);
    relative dates count from ``today`` (``7 days``: today and the 6 days before)."""
    if field.type == "date_week":
        return _date_filter(sql, expr.strip(), today)
    if field.numeric:
        return _terms(sql, expr, _number_term)
    return _terms(sql, expr, _string_term)


def _split(expr: str) -> list[str]:
    """Terms of a comma list; ``^,`` is a literal comma."""
    terms, current, escaped = [], "", False
    for ch in expr:
        if escaped:
            current += "^" + ch
            escaped = False
        elif ch == "^":
            escaped = True
        elif ch == ",":
            terms.append(current)
            current = ""
        else:
            current += ch
    terms.append(current + ("^" if escaped else ""))
    return [t.strip() for t in terms if t.strip()]


def _terms(sql: str, expr: str, term: Any) -> str:
    """Positive terms OR-ed, negative ones AND-ed, as Looker combines a list."""
    positive: list[str] = []
    negative: list[str] = []
    for text in _split(expr):
        test, negated = term(sql, text)
        (negative if negated else positive).append(test)
    parts = []
    if positive:
        parts.append("(" + " OR ".join(positive) + ")")
    parts.extend(negative)
    return "(" + " AND ".join(parts) + ")"


def _quote(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _chars(body: str) -> list[tuple[str, bool]]:
    """Characters of a string term, each with whether it was escaped with ``^``."""
    out, i = [], 0
    while i < len(body):
        if body[i] == "^" and i + 1 < len(body):
            out.append((body[i + 1], True))
            i += 2
        else:
            out.append((body[i], False))
            i += 1
    return out


def _string_term(sql: str, text: str) -> tuple[str, bool]:
    negated = text.startswith("-")
    body = text[1:] if negated else text
    if body == "NULL":
        return (f"{sql} IS NOT NULL" if negated else f"{sql} IS NULL"), negated
    if body == "EMPTY":
        if negated:
            return f"({sql} IS NOT NULL AND {sql} <> '')", True
        return f"({sql} IS NULL OR {sql} = '')", False
    chars = _chars(body)
    if any(ch in "%_" and not escaped for ch, escaped in chars):
        pattern = "".join(
            "\\" + ch if (escaped and ch in "%_\\") or ch == "\\" else ch for ch, escaped in chars
        )
        test = f"{sql} LIKE {_quote(pattern)} ESCAPE '\\'"
    else:
        test = f"{sql} = {_quote(''.join(ch for ch, _ in chars))}"
    return (f"({sql} IS NULL OR NOT {test})" if negated else test), negated


_NUMBER = r"-?\d+(?:\.\d+)?"


def _number_term(sql: str, text: str) -> tuple[str, bool]:
    upper = text.upper()
    if upper == "NULL":
        return f"{sql} IS NULL", False
    if upper in ("NOT NULL", "-NULL"):
        return f"{sql} IS NOT NULL", True
    match = re.fullmatch(rf"(NOT |<>|!=)\s*({_NUMBER})", text, re.IGNORECASE)
    if match:
        return f"({sql} IS NULL OR {sql} <> {match.group(2)})", True
    match = re.fullmatch(rf"(>=|<=|>|<|=)?\s*({_NUMBER})", text)
    if match:
        return f"{sql} {match.group(1) or '='} {match.group(2)}", False
    match = re.fullmatch(rf"({_NUMBER})\s+to\s+({_NUMBER})", text, re.IGNORECASE)
    if match:
        return f"{sql} BETWEEN {match.group(1)} AND {match.group(2)}", False
    raise QueryError(f"Invalid number filter expression {text!r}")


def _day(text: str) -> date:
    try:
        return date.fromisoformat(text.strip().replace("/", "-"))
    except ValueError:
        raise QueryError(f"Invalid date filter expression: {text!r} is not a date") from None


def _between(sql: str, lo: date | None, hi: date | None) -> str:
    """``lo <= sql < hi`` (either bound open when None)."""
    tests = []
    if lo is not None:
        tests.append(f"{sql} >= DATE '{lo.isoformat()}'")
    if hi is not None:
        tests.append(f"{sql} < DATE '{hi.isoformat()}'")
    return "(" + " AND ".join(tests) + ")"


def _date_filter(sql: str, expr: str, today: date) -> str:
    upper = expr.upper()
    if upper == "NULL":
        return f"{sql} IS NULL"
    if upper in ("NOT NULL", "-NULL"):
        return f"{sql} IS NOT NULL"
    past = re.fullmatch(r"(\d+)\s+(day|week)s?", expr, re.IGNORECASE)
    if past:
        n = int(past.group(1))
        if past.group(2).lower() == "day":
            return _between(sql, today - timedelta(days=n - 1), today + timedelta(days=1))
        monday = today - timedelta(days=today.weekday())
        return _between(sql, monday - timedelta(weeks=n - 1), monday + timedelta(weeks=1))
    if upper.startswith("BEFORE "):
        return _between(sql, None, _day(expr[7:]))
    if upper.startswith("AFTER "):
        return _between(sql, _day(expr[6:]), None)
    lo, sep, hi = expr.partition(" to ")
    if sep:
        return _between(sql, _day(lo), _day(hi))
    if re.fullmatch(r"\d{4}", expr):
        year = int(expr)
        return _between(sql, date(year, 1, 1), date(year + 1, 1, 1))
    day = _day(expr)
    return _between(sql, day, day + timedelta(days=1))
