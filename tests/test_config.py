"""Config: the repo's canary.yaml validates; mistakes name the file, key, value and choices."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from canary.cli import main
from canary.config import load_config, parse_config
from canary.errors import ConfigError
from tests.conftest import REPO


def _raw() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "canary.yaml").read_text())


def test_repo_config_has_both_monitors_with_their_channels() -> None:
    config = load_config(REPO / "canary.yaml", environ={})
    assert config.monitors["code-insights-all-instances"].alerts.channel == "#code-insights"
    assert config.monitors["code-insights-canary"].alerts.channel == "#code-insights-internal"
    assert config.data_dir == REPO / ".canary"  # relative to the file, not the cwd
    assert config.store_url({}) == f"sqlite:///{REPO / '.canary' / 'store.db'}"


def _error(raw: object, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "bad.yaml", environ or {})
    return str(info.value)


def test_misspelled_key_names_file_path_and_allowed_keys() -> None:
    raw = _raw()
    raw["monitors"]["code-insights-canary"]["sourc"] = raw["monitors"]["code-insights-canary"].pop(
        "source"
    )
    text = _error(raw)
    assert "bad.yaml" in text
    assert (
        "monitors.code-insights-canary.sourc: unknown key 'sourc' (did you mean 'source'?)" in text
    )
    assert (
        "allowed keys: alerts, dashboard, datasets, history, quiet_weeks, source, suite_prefix"
        in text
    )


def test_bad_values_name_the_value_and_what_is_allowed() -> None:
    raw = _raw()
    raw["sources"]["sample"]["complete_after"] = "3 days"
    raw["monitors"]["code-insights-canary"]["dashboard"] = "canaries"
    text = _error(raw)
    assert (
        "sources.sample.complete_after: a duration such as 30m, 12h, 1d or 1w (got '3 days')"
        in text
    )
    assert (
        "monitors.code-insights-canary.dashboard: unknown dashboard; allowed: all-instances, canary"
        in text
    )
    raw = _raw()
    raw["sources"]["sample"]["kind"] = "lookr"
    assert "'sample', 'files'" in _error(raw)


def test_references_to_undefined_things() -> None:
    raw = _raw()
    raw["monitors"]["code-insights-canary"]["source"] = "warehouse"
    assert (
        "monitors.code-insights-canary.source: 'warehouse' is not defined; allowed: sample"
        in _error(raw)
    )
    raw = _raw()
    raw["monitors"]["code-insights-canary"]["datasets"]["pageviews"] = {}
    text = _error(raw)
    assert "monitors.code-insights-canary.datasets.pageviews" in text and "page_views" in text


def test_environment_overrides_nest_with_double_underscores() -> None:
    env = {"CANARY__SOURCES__SAMPLE__SEED": "11", "CANARY__STORE__URL": "sqlite:///x.db"}
    config = parse_config(_raw(), "canary.yaml", env)
    assert config.sources["sample"].seed == 11  # type: ignore[union-attr]
    assert config.store_url({}) == "sqlite:///x.db"
    assert config.store_url({"CANARY_STORE_URL": "postgresql://h/db"}) == "postgresql://h/db"
    assert "sources.sample.sed" in _error(_raw(), {"CANARY__SOURCES__SAMPLE__SED": "1"})


def test_not_a_mapping_and_broken_yaml(tmp_path: Path) -> None:
    assert "top level must be a mapping" in _error(["a"])
    bad = tmp_path / "bad.yaml"
    bad.write_text("monitors: [\n")
    with pytest.raises(ConfigError, match=r"bad.yaml: line \d+, column \d+ is not valid YAML"):
        load_config(bad)
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path / "missing.yaml")


def test_cli_exits_2_with_a_one_screen_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    raw = _raw()
    raw["monitors"]["code-insights-canary"]["datsets"] = raw["monitors"][
        "code-insights-canary"
    ].pop("datasets")
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(raw))
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml" in err and "datsets" in err and "did you mean 'datasets'" in err
    assert len(err.strip().splitlines()) <= 20
    assert "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (["--monitor", "nope"], "--monitor 'nope' is not in the config"),
        (["--scenario", "nope"], "--scenario 'nope' is unknown; allowed: "),
        (["--week", "2030-01-07"], "is not complete yet"),
    ],
)
def test_usage_errors_exit_2(
    args: list[str], needle: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["run", "--config", str(REPO / "canary.yaml"), "--as-of", "2026-11-28", *args]) == 2
    assert needle in capsys.readouterr().err
