"""Check families and field roles are declared with each check, and unknown words refused."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from canary.anomaly.detectors import FAMILIES
from canary.checks.families import FAMILIES as KNOWN
from canary.checks.families import ROLES
from canary.checks.suites import load_suite
from canary.errors import SuiteError
from tests.conftest import REPO


def test_every_bundled_expectation_declares_a_known_family() -> None:
    for path in sorted((REPO / "expectations").glob("*.*.json")):
        for e in json.loads(path.read_text())["expectations"]:
            assert e["meta"]["family"] in KNOWN, (path.name, e["meta"])
            assert e["meta"].get("field_role") in ROLES | {None}, (path.name, e["meta"])


def test_every_history_check_has_a_family_in_the_registry() -> None:
    assert set(FAMILIES.values()) <= KNOWN


@pytest.mark.parametrize(
    ("meta", "message"),
    [
        ({"check": "x", "family": "levels"}, "meta.family 'levels' is not a check family"),
        ({"check": "x", "field_role": "id"}, "meta.field_role 'id' is not a field role"),
    ],
)
def test_an_unknown_family_or_role_is_a_suite_error_listing_the_allowed(
    tmp_path: Path, meta: dict[str, str], message: str
) -> None:
    suite = {"expectations": [{"type": "expect_column_to_exist", "kwargs": {}, "meta": meta}]}
    (tmp_path / "s.json").write_text(json.dumps(suite))
    with pytest.raises(SuiteError, match="allowed: ") as raised:
        load_suite(tmp_path, "s")
    assert message in str(raised.value) and "expectations[0]" in str(raised.value)
