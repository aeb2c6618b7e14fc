"""Config: the repo's canary.yaml validates; mistakes name the file, key, value and choices."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from canary.cli import main
from canary.config import load_config, parse_config
from canary.errors import ConfigError
from tests.conftest import REPO, write_config


def _raw() -> dict:  # type: ignore[type-arg]
    return yaml.safe_load((REPO / "canary.yaml").read_text())


def test_repo_config_has_both_monitors_with_their_channels() -> None:
    config = load_config(REPO / "canary.yaml", environ={})
    everyone = config.monitors["code-insights-all-instances"]
    assert everyone.alerts.channel == "#code-insights-internal"  # pipeline breaks
    assert everyone.report is not None and everyone.report.channel == "#code-insights"
    assert (everyone.report.when, everyone.report.weeks) == ("weekly", 16)
    assert config.monitors["code-insights-canary"].alerts.channel == "#code-insights-internal"
    assert config.monitors["code-insights-canary"].report is None  # no report unless asked
    assert config.data_dir == REPO / ".canary"  # relative to the file, not the cwd
    assert config.store_url({}) == f"sqlite:///{REPO / '.canary' / 'store.db'}"


def _error(raw: object, environ: dict[str, str] | None = None) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, "bad.yaml", environ or {})
    return str(info.value)


def test_a_misspelled_source_kind_names_the_key_and_the_kind_meant() -> None:
    raw = _raw()
    raw["sources"]["sample"]["kind"] = "file"
    assert "sources.sample.kind: unknown kind 'file' (did you mean 'files'?); allowed:" in _error(
        raw
    )


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
        "allowed keys: alerts, calendar, cross_checks, dashboard, datasets, history, quiet_weeks, report, "
        "source, suite_prefix" in text
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
    assert "allowed: sample, files, sql" in _error(raw)


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
    with pytest.raises(ConfigError, match=r"no config file at .*missing\.yaml.*--config"):
        load_config(tmp_path / "missing.yaml")
    with pytest.raises(ConfigError, match="cannot read the config file"):
        load_config(tmp_path)  # a folder


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


def test_a_duplicate_key_anywhere_is_an_error_naming_key_and_both_lines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """PyYAML keeps the last of two equal keys: a second monitor silently replaced the first."""
    text = (REPO / "canary.yaml").read_text()
    lines = text.splitlines()
    first = lines.index("  code-insights-canary:") + 1
    copy = "\n".join(lines[first - 1 :]).split("\n\n")[0]  # the canary monitor's block
    path = tmp_path / "canary.yaml"
    path.write_text(text.replace("\n\n# Slack alerts", "\n" + copy + "\n\n# Slack alerts", 1))
    again = path.read_text().splitlines().index("  code-insights-canary:", first) + 1
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err and "Traceback" not in err
    assert (
        f"duplicate key 'code-insights-canary' under monitors: line {first} and line {again}" in err
    )
    nested = tmp_path / "nested.yaml"
    nested.write_text("sources:\n  s:\n    kind: sample\n    seed: 1\n    seed: 2\nmonitors: {}\n")
    with pytest.raises(
        ConfigError, match=r"nested.yaml: duplicate key 'seed' under sources.s: line 4 and line 5"
    ):
        load_config(nested, environ={})
    listed = tmp_path / "listed.yaml"
    listed.write_text("a:\n  - {x: 1, x: 2}\n")
    with pytest.raises(ConfigError, match=r"duplicate key 'x' under a\[0\]: line 2 and line 2"):
        load_config(listed, environ={})


def test_yaml_merge_keys_may_be_overridden() -> None:
    from canary.strict_yaml import parse_yaml

    doc = parse_yaml("base: &b {seed: 1, weeks: 52}\nsample: {<<: *b, seed: 2}\n")
    assert doc["sample"] == {"seed": 2, "weeks": 52}


def test_a_config_that_is_not_utf8_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "latin1.yaml"
    path.write_bytes((REPO / "canary.yaml").read_bytes() + "# café\n".encode("latin-1"))
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    last = len(path.read_bytes().splitlines())
    assert f"{path}: line {last} is not UTF-8 (byte 0xe9" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("url", "needle"),
    [
        ("notaurl", "not a database URL"),
        ("mongodb://db.internal/canary", "no installed SQLAlchemy dialect reads 'mongodb' URLs"),
        ("sqlite+nodriver:///x.db", "no installed SQLAlchemy dialect reads 'sqlite+nodriver' URLs"),
    ],
)
def test_a_bad_store_url_is_a_config_error_naming_where_it_came_from(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    url: str,
    needle: str,
) -> None:
    config = tmp_path / "canary.yaml"
    config.write_text((REPO / "canary.yaml").read_text())
    args = ["run", "--config", str(config), "--as-of", "2026-11-28"]
    monkeypatch.setenv("CANARY_STORE_URL", url)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"environment variable CANARY_STORE_URL: {needle}" in err
    assert str(config) not in err and "Traceback" not in err
    monkeypatch.delenv("CANARY_STORE_URL")
    monkeypatch.setenv("CANARY__STORE__URL", url)
    assert main(args) == 2
    err = capsys.readouterr().err
    assert f"environment variable CANARY__STORE__URL: invalid config\n  store.url: {needle}" in err
    assert str(config) not in err
    monkeypatch.delenv("CANARY__STORE__URL")
    raw = yaml.safe_load(config.read_text())
    raw["store"] = {"url": url}
    config.write_text(yaml.safe_dump(raw))
    assert main(args) == 2
    assert f"{config}: invalid config\n  store.url: {needle}" in capsys.readouterr().err


def test_a_warehouse_url_of_no_installed_dialect_is_a_config_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_config(
        tmp_path,
        sources={"wh": {"kind": "sql", "url": "postgres://canary:s3cr3t@db.internal/pings"}},
        monitors={
            "m": {
                "source": "wh",
                "dashboard": "canary",
                "suite_prefix": "canary",
                "alerts": {"channel": "#x"},
                "datasets": {"page_views": {}},
            }
        },
    )
    assert main(["run", "--config", str(path)]) == 2
    err = capsys.readouterr().err
    assert "sources.wh.url: no installed SQLAlchemy dialect reads 'postgres' URLs" in err
    assert "postgresql+psycopg://" in err and "s3cr3t" not in err


def test_environment_override_errors_name_the_variable_not_the_file() -> None:
    env = {"CANARY__SOURCES__SAMPLE__SEED": "eleven"}
    text = _error(_raw(), env)
    assert "environment variable CANARY__SOURCES__SAMPLE__SEED: invalid config" in text
    assert "sources.sample.seed: Input should be a valid integer" in text
    assert "bad.yaml" not in text
    raw = _raw()
    raw["sources"]["sample"]["weeks"] = 3
    text = _error(raw, env)  # one mistake in each place: each named by where it is
    assert "bad.yaml: invalid config\n  sources.sample.weeks:" in text
    assert (
        "environment variable CANARY__SOURCES__SAMPLE__SEED: invalid config\n  sources.sample.seed:"
        in text
    )
    assert "CANARY__SLACK__MASKING: not a YAML value" in _error(
        _raw(), {"CANARY__SLACK__MASKING": "{a: [}"}
    )
    clash = {"CANARY__STORE": "x", "CANARY__STORE__URL": "sqlite:///x.db"}
    assert "CANARY__STORE and CANARY__STORE__URL set the same key" in _error(_raw(), clash)


def test_every_slack_setting_is_documented_in_the_slack_page() -> None:
    """Each ``slack:`` key appears as a key in docs/slack.md's examples or as ``slack.KEY``."""
    from canary.config import SlackConfig

    readme = (REPO / "docs" / "slack.md").read_text()
    undocumented = [
        key
        for key in SlackConfig.model_fields
        if not re.search(rf"(^|\s){key}:", readme, re.M) and f"slack.{key}" not in readme
    ]
    assert not undocumented


def test_a_definitions_file_is_held_to_the_same_rules(tmp_path: Path) -> None:
    raw = _raw()
    raw["definitions"] = "defs.yaml"
    path = tmp_path / "canary.yaml"
    path.write_text(yaml.safe_dump(raw))
    defs = tmp_path / "defs.yaml"
    defs.write_text("tiles: {}\nviews:\n  ops: {}\n  ops: {}\n")
    with pytest.raises(
        ConfigError, match=r"defs.yaml: duplicate key 'ops' under views: line 3 and line 4"
    ):
        load_config(path, environ={})
    defs.write_bytes(b"views: {}\n# caf\xe9\n")
    with pytest.raises(ConfigError, match=r"defs.yaml is not UTF-8"):
        load_config(path, environ={})


@pytest.mark.parametrize(
    ("key", "value", "where"),
    [
        ("token", "xoxb-1234-5678-notshownever", "slack.token"),
        ("webhook", "https://hooks.slack.com/services/T0/B0/notshownever", "slack.webhook"),
        ("base_url", "https://canary:notshownever@slack.example/api", "slack.base_url"),
    ],
)
def test_a_secret_written_where_a_reference_belongs_is_never_echoed(
    key: str, value: str, where: str
) -> None:
    """A token pasted into the config (or an override) is a config error that names the key
    and says what to write, without repeating the secret."""
    raw = _raw()
    raw["slack"] = {key: value}
    for text in (
        _error(raw),
        _error(_raw(), {f"CANARY__SLACK__{key.upper()}": value}),
    ):
        assert f"{where}: " in text
        assert "notshownever" not in text
    if key != "base_url":
        assert "{env: NAME}" in _error(raw)


def test_a_long_value_is_shown_cut_short() -> None:
    raw = _raw()
    raw["sources"]["sample"]["complete_after"] = "x" * 5000
    text = _error(raw)
    assert "sources.sample.complete_after: a duration such as" in text
    assert len(text) < 400 and "xxx..." in text


def test_a_definitions_file_that_is_not_a_mapping_is_not_printed(tmp_path: Path) -> None:
    (tmp_path / "defs.yaml").write_text("just some text " * 200)
    raw = _raw()
    raw["definitions"] = str(tmp_path / "defs.yaml")
    text = _error(raw)
    assert str(tmp_path / "defs.yaml") in text and len(text) < 400


def test_a_definitions_file_is_named_never_shown(tmp_path: Path) -> None:
    """Any file may be named as definitions (``/etc/passwd``): the error names it and says
    what is wrong, and repeats none of its lines, whether it is text or broken YAML."""
    other = tmp_path / "not-ours"
    for content in ("qroot:x:0:0:qroot:/qroot:/bin/bash\n", "qkey: qvalue\n  - qprivate: [\n"):
        other.write_text(content)
        raw = _raw()
        raw["definitions"] = "../" * 8 + str(other).lstrip("/")
        text = _error(raw)
        assert "bad.yaml: definitions" in text and "not-ours" in text
        assert "qroot" not in text and "qprivate" not in text and "qvalue" not in text
    other.write_text("qroot:x:0:0:qroot:/qroot:/bin/bash\n")
    text = _error(_raw(), {"CANARY__DEFINITIONS": str(other)})
    assert text.startswith("environment variable CANARY__DEFINITIONS: definitions file")
    assert "qroot" not in text


M = "code-insights-canary"


def _set(raw: dict, path: tuple[str, ...], value: object) -> dict:  # type: ignore[type-arg]
    node = raw
    for part in path[:-1]:
        node = node.setdefault(part, {})
    node[path[-1]] = value
    return raw


@pytest.mark.parametrize(
    ("path", "value", "named"),
    [
        (("monitors",), {}, "monitors: no monitor is configured"),
        (("sources", "sample", "complete_after"), -5, "sources.sample.complete_after: a duration"),
        (("sources", "sample", "complete_after"), True, "sources.sample.complete_after: a duration"),
        (("monitors", M, "history", "min_weeks"), 20, f"monitors.{M}.history.min_weeks: min_weeks 20 is above window_weeks 12"),
        (("monitors", M, "history", "window_weeks"), 4, f"monitors.{M}.history.min_weeks: min_weeks 6 is above window_weeks 4"),
        (("monitors", M, "datasets", "creators", "history"), {"window_weeks": 3}, f"monitors.{M}.datasets.creators.history.min_weeks: min_weeks 6"),
        (("monitors", M, "history", "columns"), ["nope"], f"monitors.{M}.history.columns: unknown column 'nope'; allowed:"),
        (("monitors", M, "datasets", "page_views", "history"), {"columns": ["creators"]}, "page_views.history.columns: unknown column 'creators'"),
        (("monitors", M, "history", "sensitivity"), float("inf"), f"monitors.{M}.history.sensitivity: Input should be a finite number"),
        (("monitors", M, "history", "min_level"), float("inf"), f"monitors.{M}.history.min_level: Input should be a finite number"),
        (("monitors", M, "history", "sensitivity"), True, f"monitors.{M}.history.sensitivity: Input should be a valid number"),
        (("sources", "sample", "seed"), False, "sources.sample.seed: Input should be a valid integer"),
        (("monitors", M, "quiet_weeks"), [{"name": "x", "iso_weeks": [True]}], "iso_weeks.0: Input should be a valid integer"),
        (("version",), True, "version: Input should be 1"),
        (("monitors", M, "suite_prefix"), "../x", f"monitors.{M}.suite_prefix: a name of ASCII letters"),
        (("monitors", M, "datasets", "page_views", "suite"), "../../etc/x", "page_views.suite: a suite file name in expectations_dir"),
        (("monitors", M, "datasets", "page_views", "suite"), "/etc/x", "page_views.suite: a suite file name in expectations_dir"),
        (("sources", "f"), {"kind": "files", "datasets": {"page_views": {"path": ""}}}, "sources.f.datasets.page_views.path: a path or glob"),
        (("sources", "f"), {"kind": "files", "datasets": {"page_views": {"path": "  "}}}, "sources.f.datasets.page_views.path: a path or glob"),
    ],
)  # fmt: skip
def test_values_that_would_check_nothing_or_escape_are_refused_by_key(
    path: tuple[str, ...], value: object, named: str
) -> None:
    assert named in _error(_set(_raw(), path, value))


@pytest.mark.parametrize("name", ["", "a\nb", "a/b", "..", "x..y", "$(id)", "`id`", " x", "café"])
@pytest.mark.parametrize("section", ["monitors", "sources", "secrets", "notify"])
def test_names_that_are_paths_or_shell_are_refused(section: str, name: str) -> None:
    raw = _raw()
    if section == "monitors":
        raw["monitors"][name] = raw["monitors"].pop(M)
    elif section == "sources":
        raw["sources"][name] = raw["sources"].pop("sample")
        for monitor in raw["monitors"].values():
            monitor["source"] = name
    elif section == "secrets":
        raw["secrets"] = {name: {"env": "X"}}
    else:
        raw["notify"] = {name: {"block": "slack-webhook/ops"}}
    assert f"{section}: key {name!r}: a name of ASCII letters, digits" in _error(raw)


def test_a_suite_is_named_with_or_without_json() -> None:
    for suite in ("canary.page_views", "canary.page_views.json"):
        raw = _set(_raw(), ("monitors", M, "datasets", "page_views", "suite"), suite)
        assert parse_config(raw, "ok.yaml", {}).monitors[M].suite_for("page_views") == (
            "canary.page_views"
        )


@pytest.mark.parametrize(
    ("env", "key"),
    [
        ({"CANARY__SLACK__TOKEN__ENV": ""}, "slack.token: name at least one of env"),
        ({"CANARY__SLACK__DELIVERY": "webhook"}, "slack: delivery is webhook"),
        ({"CANARY__SLACK__MUTES__X__UNTIL": "2026-01-01"}, "slack.mutes.x.reason: required"),
    ],
)
def test_an_override_that_breaks_a_mapping_names_its_variable(
    env: dict[str, str], key: str
) -> None:
    """The error lies at a mapping the variable set a key of (or made): name the variable."""
    text = _error(_raw(), env)
    assert text.startswith(f"environment variable {next(iter(env))}: invalid config")
    assert key in text and "bad.yaml" not in text


@pytest.mark.parametrize("key", ["data_dir", "expectations_dir"])
def test_an_empty_folder_is_refused_naming_its_key_or_variable(key: str) -> None:
    """An empty path would quietly mean the config file's own folder (a new, empty store)."""
    assert f"bad.yaml: invalid config\n  {key}: an empty path" in _error({**_raw(), key: ""})
    variable = f"CANARY__{key.upper()}"
    text = _error(_raw(), {variable: ""})
    assert f"environment variable {variable}: invalid config\n  {key}: an empty path" in text


def test_an_empty_mapping_in_a_variable_replaces_the_file_s() -> None:
    text = _error(_raw(), {"CANARY__MONITORS": "{}"})
    assert "environment variable CANARY__MONITORS: invalid config" in text
    assert "monitors: no monitor is configured" in text


def test_a_missing_expectations_dir_names_its_key_or_variable(tmp_path: Path) -> None:
    config = write_config(tmp_path, expectations_dir="nowhere")
    with pytest.raises(ConfigError, match=r"canary.yaml: expectations_dir: .*nowhere does not"):
        load_config(config, environ={})
    env = {"CANARY__EXPECTATIONS_DIR": "/nonexistent"}
    with pytest.raises(ConfigError) as info:
        load_config(config, environ=env)
    assert str(info.value).startswith(
        "environment variable CANARY__EXPECTATIONS_DIR: /nonexistent does not exist"
    )
    assert main(["run", "--config", str(config)]) == 2
    assert load_config(config, environ={}, suites=False).expectations_dir == tmp_path / "nowhere"


def test_names_too_long_for_the_store_or_a_file_name_are_refused_by_key() -> None:
    """PostgreSQL refuses a monitor name over its column's 200 characters; a file system a
    file name over 255 bytes (the file outbox's names hold monitor and channel)."""
    raw = _raw()
    raw["monitors"]["m" * 201] = raw["monitors"].pop(M)
    text = _error(raw)
    assert f"monitors.{'m' * 201}: a monitor name of 201 characters; at most 200 fit" in text
    raw = _raw()
    raw["monitors"][M]["alerts"] = {"channel": "#" + "c" * 80}
    assert f"monitors.{M}.alerts.channel: String should have at most 80" in _error(raw)
    raw = _raw()
    name = "m" * 200
    raw["monitors"][name] = raw["monitors"].pop(M)
    raw["monitors"][name]["alerts"] = {"channel": "#" + "c" * 70}
    assert f"monitors.{name}: the monitor name (200 characters) makes" in _error(raw)
    raw = _raw()
    raw["monitors"][M]["suite_prefix"] = "p" * 240
    assert f"monitors.{M}.suite_prefix: a suite file name of" in _error(raw)
    raw = _raw()
    raw["monitors"][M]["datasets"]["creators"] = {"suite": "s" * 251}
    assert f"monitors.{M}.datasets.creators.suite: a suite file name of 256" in _error(raw)
    long_name = "m" * 150  # fits both
    raw = _raw()
    raw["monitors"][long_name] = raw["monitors"].pop(M)
    assert long_name in parse_config(raw, "ok.yaml", {}).monitors


def test_a_dataset_name_too_long_for_the_store_is_refused_by_key() -> None:
    raw = _raw()
    long_tile = "t" * 201
    raw["definitions"] = {
        "tiles": {long_tile: {"title": "Long", "shape": "series", "fields": ["weekly_pings.week"]}},
        "dashboards": {"long": {"title": "Long", "tiles": [long_tile]}},
    }
    raw["monitors"][M].update(
        dashboard="long", datasets={long_tile: {"suite": "x"}}, cross_checks={}
    )
    text = _error(raw)
    assert f"monitors.{M}.datasets.{long_tile}: a dataset name of 201 characters" in text


def test_an_unknown_report_key_lists_the_report_keys() -> None:
    raw = _raw()
    raw["monitors"]["code-insights-all-instances"]["report"] = {"channel": "#ci", "extra": 1}
    text = _error(raw)
    assert "monitors.code-insights-all-instances.report.extra: unknown key 'extra'" in text
    assert "allowed keys: channel, metrics, weeks, when" in text


def test_report_weeks_must_be_a_number_not_text() -> None:
    raw = _raw()
    raw["monitors"]["code-insights-all-instances"]["report"]["weeks"] = "16"
    assert "monitors.code-insights-all-instances.report.weeks: " in _error(raw)


def test_a_report_of_a_monitor_without_a_series_tile_names_the_monitor() -> None:
    raw = _raw()
    monitor = raw["monitors"]["code-insights-all-instances"]
    monitor["datasets"] = {"instance_usage": {}, "usage_by_version": {}}
    monitor["report"] = {"channel": "#ci"}
    text = _error(raw)
    assert "monitors.code-insights-all-instances: " in text
    assert "none of the monitor's datasets (instance_usage, usage_by_version)" in text
    assert "add one of instances_reporting, page_views, creators or remove report" in text


def test_a_dataset_a_files_source_lacks_is_named_with_what_to_add(tmp_path: Path) -> None:
    raw = {
        "version": 1,
        "sources": {
            "exports": {"kind": "files", "datasets": {"instance_usage": {"path": "a.csv"}}}
        },
        "monitors": {
            "pings": {
                "source": "exports",
                "dashboard": "all-instances",
                "suite_prefix": "p",
                "alerts": {"channel": "#x"},
                "datasets": {"instances_reporting": {}, "instance_usage": {}},
            }
        },
    }
    (tmp_path / "c.yaml").write_text(yaml.safe_dump(raw))
    with pytest.raises(ConfigError) as err:
        load_config(tmp_path / "c.yaml")
    assert (
        "sources.exports.datasets: no entry for dataset 'instances_reporting', which monitor "
        "pings reads from this source: add one named instances_reporting here"
    ) in str(err.value)
