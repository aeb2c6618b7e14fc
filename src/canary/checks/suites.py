"""Loading GE suites from ``expectations/<name>.json`` at run time, with clear errors."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

from canary.checks.families import declared
from canary.errors import SuiteError
from canary.readable import number

_PARAM_NAME = re.compile(r"^[A-Za-z0-9_]+$")
#: kwargs that name one column, and those that list columns
_COLUMN = ("column", "column_A", "column_B")
_COLUMNS = ("column_list", "column_set")


def suite_path(expectations_dir: Path, name: str) -> Path:
    return expectations_dir / f"{name}.json"


def check_name(expectation: dict[str, Any]) -> str:
    """The stable name of a check: ``meta.check``, else its type plus distinguishing args."""
    meta = expectation.get("meta") or {}
    if meta.get("check"):
        return str(meta["check"])
    kwargs = expectation.get("kwargs") or {}
    args = [str(kwargs[k]) for k in ("column", "column_A", "column_B") if k in kwargs]
    return " ".join([str(expectation.get("type", "?")), *args])


def check_column(kwargs: dict[str, Any]) -> str | None:
    """The column a check is about (for pairs and compounds, the columns joined by ',')."""
    if "column" in kwargs:
        return str(kwargs["column"])
    if "column_A" in kwargs:
        return f"{kwargs['column_A']},{kwargs['column_B']}"
    if "column_list" in kwargs:
        return ",".join(kwargs["column_list"])
    return None


def parameters_of(suite: dict[str, Any]) -> set[str]:
    """Names of the ``{"$PARAMETER": name}`` expectation parameters the suite uses."""
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if set(node) == {"$PARAMETER"}:
                found.add(str(node["$PARAMETER"]))
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    for expectation in suite["expectations"]:
        walk(expectation.get("kwargs"))
    return found


def _columns_named(kwargs: dict[str, Any], where: str) -> None:
    """Columns are named by text: ``SuiteError`` for a number, null or object there."""
    for key in _COLUMN:
        if key in kwargs and not isinstance(kwargs[key], str):
            raise SuiteError(f"{where}: kwargs.{key} must be a column name (text)")
    for key in _COLUMNS:
        names = kwargs.get(key, [])
        if not isinstance(names, list) or not all(isinstance(n, str) for n in names):
            raise SuiteError(f"{where}: kwargs.{key} must be a list of column names (text)")


def _finite(kwargs: dict[str, Any], where: str) -> None:
    """``SuiteError`` for a NaN or infinite number in ``kwargs`` (JSON's ``NaN``,
    ``Infinity``): no value compares with NaN, and no bound is written null."""

    def walk(node: Any, key: str) -> None:
        if isinstance(node, float) and not math.isfinite(node):
            raise SuiteError(
                f"{where}: kwargs.{key} is {json.dumps(node)}; write a finite number (null for no bound)"
            )
        if isinstance(node, dict):
            for name, value in node.items():
                walk(value, f"{key}.{name}")
        elif isinstance(node, list):
            for i, value in enumerate(node):
                walk(value, f"{key}[{i}]")

    for name, value in kwargs.items():
        walk(value, name)


def _consistent(kwargs: dict[str, Any], where: str) -> None:
    """``SuiteError`` for bounds no value lies between and a regex that does not compile."""
    lo, hi = kwargs.get("min_value"), kwargs.get("max_value")
    if isinstance(lo, int | float) and isinstance(hi, int | float) and lo > hi:
        raise SuiteError(
            f"{where}: kwargs.min_value {number(lo)} is above kwargs.max_value {number(hi)}; "
            "no value lies between them"
        )
    listed = kwargs.get("regex_list")
    regexes = [("regex", kwargs.get("regex"))] + [
        (f"regex_list[{i}]", r) for i, r in enumerate(listed if isinstance(listed, list) else [])
    ]
    for key, regex in regexes:
        if isinstance(regex, str):
            try:
                re.compile(regex)
            except re.error as exc:
                raise SuiteError(f"{where}: kwargs.{key} is not a valid regex ({exc})") from None


def load_suite(expectations_dir: Path, name: str, missing: str = "") -> dict[str, Any]:
    """The suite document; ``SuiteError`` names the file and what is wrong with it.

    ``missing`` is added to the message of a file that does not exist (how to write one).
    """
    path = suite_path(expectations_dir, name)
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SuiteError(f"{path}: suite file not found{missing}") from None
    except IsADirectoryError:
        raise SuiteError(f"{path}: a folder, not a suite file{missing}") from None
    except UnicodeDecodeError as exc:
        raise SuiteError(
            f"{path}: not UTF-8 text (byte 0x{exc.object[exc.start]:02x} at offset {exc.start}); "
            "save the suite as UTF-8"
        ) from None
    except OSError as exc:
        raise SuiteError(f"{path}: the suite cannot be read ({exc.strerror})") from None
    except json.JSONDecodeError as exc:
        raise SuiteError(f"{path}: not valid JSON (line {exc.lineno}: {exc.msg})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("expectations"), list):
        raise SuiteError(f"{path}: a suite needs a list under 'expectations'")
    seen: dict[tuple[str, str | None], int] = {}
    for i, expectation in enumerate(doc["expectations"]):
        where = f"{path}: expectations[{i}]"
        if not isinstance(expectation, dict) or not isinstance(expectation.get("type"), str):
            raise SuiteError(f"{where}: needs a 'type' such as expect_column_values_to_not_be_null")
        for part in ("kwargs", "meta"):
            if not isinstance(expectation.get(part) or {}, dict):
                raise SuiteError(f"{where}: '{part}' must be an object of names and values")
        _columns_named(expectation.get("kwargs") or {}, where)
        _finite(expectation.get("kwargs") or {}, where)
        _consistent(expectation.get("kwargs") or {}, where)
        try:
            declared(expectation.get("meta"), where)
        except ValueError as exc:
            raise SuiteError(str(exc)) from None
        key = (check_name(expectation), check_column(expectation.get("kwargs") or {}))
        if key in seen:
            raise SuiteError(
                f"{where}: check {key[0]!r} on {key[1]} repeats expectations[{seen[key]}]; "
                "give each a distinct meta.check"
            )
        seen[key] = i
    for param in parameters_of(doc):
        if not _PARAM_NAME.match(param):
            raise SuiteError(
                f"{path}: parameter {param!r}: use ASCII letters, digits and underscores"
            )
    doc.setdefault("name", name)
    return doc
