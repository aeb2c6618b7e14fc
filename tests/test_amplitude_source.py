"""The Amplitude source against a stand-in of Amplitude's Dashboard REST API over real HTTP
(``tests/amplitude_fake.py``): the same weekly numbers served as a saved chart, as an event
segmentation and as a CSV export give the same series and verdicts through ``canary run``;
rate limits and server errors are retried, wrong keys are exit 3 naming the source, and the
keys appear in no output."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
import yaml
from pydantic import SecretStr

from canary.cli import main
from canary.config import load_config
from canary.errors import ConfigError, ExitCode, SourceError, TransientSourceError
from canary.sources.amplitude.client import AmplitudeClient
from canary.sources.amplitude.config import AmplitudeConfig, AmplitudeRetries
from canary.sources.amplitude.source import segmentation_params
from canary.sources.registry import BuildContext, build
from canary.weeks import WEEK
from tests.amplitude_fake import API_KEY, SECRET_KEY, AmplitudeFake, Chart, Event, amplitude_fake
from tests.conftest import AS_OF, LATEST_WEEK, NOW, write_config

MONITOR = "insights-pages"
WEEKS = 60
PAGES = ("dashboards", "insights")
ENV = {"AMPLITUDE_API_KEY": API_KEY, "AMPLITUDE_SECRET_KEY": SECRET_KEY}
FAST = {"attempts": 2, "backoff": 0, "retry_after_max": 0}


def _weekly(level: int, drop: float = 1.0) -> dict[date, int]:
    """Sixty weeks through LATEST_WEEK about ``level``, the last one times ``drop``, and
    the week after it, still running (Amplitude's charts show the current week)."""
    first = LATEST_WEEK - WEEK * (WEEKS - 1)
    out = {first + WEEK * n: level + (n * 37 % 23) * 3 for n in range(WEEKS + 1)}
    out[LATEST_WEEK] = round(out[LATEST_WEEK] * drop)
    out[LATEST_WEEK + WEEK] //= 3
    return out


def _numbers(drop: float) -> tuple[dict[date, int], dict[str, dict[date, int]]]:
    by_page = {page: _weekly(400 + 300 * i, drop) for i, page in enumerate(PAGES)}
    return _weekly(900, drop), by_page


def _definitions() -> dict[str, Any]:
    return {
        "views": {
            "insights_pages": {
                "dimensions": {
                    "week": {"type": "date", "sql": "week"},
                    "page": {"type": "string", "sql": "page", "role": "segment"},
                },
                "measures": {"viewers": {"type": "integer", "sql": "sum(viewers)"}},
            }
        },
        "tiles": {
            "insight_viewers": {
                "title": "Insights page viewers",
                "shape": "series",
                "fields": ["insights_pages.week", "insights_pages.viewers"],
            },
            "viewers_by_page": {
                "title": "Viewers by page",
                "shape": "series",
                "segments": ["page"],
                "fields": ["insights_pages.week", "insights_pages.page", "insights_pages.viewers"],
            },
        },
        "dashboards": {
            "amplitude": {
                "title": "Insights pages (Amplitude)",
                "tiles": ["insight_viewers", "viewers_by_page"],
            }
        },
    }


SOURCES: dict[str, dict[str, Any]] = {
    "chart": {"insight_viewers": {"chart": "e5k2x9a"}, "viewers_by_page": {"chart": 40417}},
    "segmentation": {
        "insight_viewers": {"segmentation": {"event": "Viewed Insights Page"}},
        "viewers_by_page": {"segmentation": {"event": "Viewed Insights Page", "group_by": "page"}},
    },
}


def _serve(fake: AmplitudeFake, drop: float = 1.0) -> None:
    total, by_page = _numbers(drop)
    fake.charts = {"e5k2x9a": Chart({"": total}), "40417": Chart(by_page)}
    fake.events = {"Viewed Insights Page": Event(total, {"page": by_page})}


def _export(directory: Path, drop: float) -> None:
    """The same numbers as CSV files, as Amplitude's chart export would give them."""
    total, by_page = _numbers(drop)
    directory.mkdir(parents=True, exist_ok=True)
    pd.DataFrame({"week": list(total), "viewers": list(total.values())}).to_csv(
        directory / "insight_viewers.csv", index=False
    )
    rows = [(w, p, v) for p, weekly in by_page.items() for w, v in weekly.items()]
    frame = pd.DataFrame(rows, columns=["week", "page", "viewers"])
    frame.to_csv(directory / "viewers_by_page.csv", index=False)


def _config(root: Path, source: dict[str, Any]) -> Path:
    monitor = {
        "source": "usage",
        "dashboard": "amplitude",
        "suite_prefix": "amp",
        "alerts": {"channel": "#insights"},
        "datasets": {"insight_viewers": {}, "viewers_by_page": {}},
    }
    root.mkdir(parents=True, exist_ok=True)
    return write_config(
        root,
        expectations_dir=str(root.parent / "expectations"),
        definitions=str(root.parent / "defs.yaml"),
        sources={"usage": source},
        monitors={MONITOR: monitor},
    )


def _amplitude(root: Path, fake: AmplitudeFake, how: str, **keys: Any) -> Path:
    source = {"kind": "amplitude", "base_url": fake.url, "datasets": SOURCES[how]}
    return _config(root, {**source, "retries": FAST, **keys})


def _files(root: Path, drop: float) -> Path:
    _export(root / "exports", drop)
    datasets = {n: {"path": f"exports/{n}.csv"} for n in ("insight_viewers", "viewers_by_page")}
    return _config(root, {"kind": "files", "datasets": datasets})


@pytest.fixture(scope="module")
def suites(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The definitions file and the monitor's suites, written by ``canary suite init``."""
    base = tmp_path_factory.mktemp("amplitude")
    (base / "defs.yaml").write_text(yaml.safe_dump(_definitions(), sort_keys=False))
    (base / "expectations").mkdir()
    config = _files(base / "init", 1.0)
    assert main(["suite", "init", MONITOR, "--config", str(config)]) == 0
    assert sorted(p.name for p in (base / "expectations").glob("amp.*.json")) == [
        "amp.insight_viewers.json",
        "amp.viewers_by_page.json",
    ]
    return base


@pytest.fixture
def fake() -> Iterator[AmplitudeFake]:
    with amplitude_fake() as server:
        _serve(server)
        yield server


@pytest.fixture
def keys(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)


def _run(config: Path) -> tuple[int, dict[str, Any], str]:
    out = config.parent / "result.json"
    code = main(["run", "--config", str(config), "--as-of", AS_OF.isoformat(), "--json", str(out)])
    return code, json.loads(out.read_text())["runs"][0], out.read_text()


def _verdicts(run: dict[str, Any]) -> list[tuple[Any, ...]]:
    return sorted(
        (c["dataset"], c["check"], c.get("column"), c["status"], json.dumps(c.get("observed")))
        for c in run["checks"]
    )


def _pulled(config: Path) -> dict[str, pd.DataFrame]:
    cfg = load_config(config, environ=ENV)
    board = cfg.catalog.dashboards["amplitude"]
    ctx = BuildContext(board, config.parent, cfg.data_dir, ENV, now=NOW)
    source = build("usage", cfg.sources["usage"], ctx)
    frames = {t.dataset: source.pull(t, LATEST_WEEK).frame for t in board.tiles}
    return {  # rows in the order of their key: a CSV export may hold them in any order
        t.dataset: frames[t.dataset].sort_values(t.row_key).reset_index(drop=True)
        for t in board.tiles
    }


@pytest.mark.usefixtures("keys")
@pytest.mark.parametrize("drop", [1.0, 0.3], ids=["steady", "dropped"])
def test_a_chart_a_segmentation_and_a_csv_export_give_the_same_series_and_verdicts(
    suites: Path, fake: AmplitudeFake, drop: float
) -> None:
    _serve(fake, drop)
    files = _files(suites / f"files-{drop}", drop)
    expected_code, expected_run, _ = _run(files)
    expected_frames = _pulled(files)
    assert len(expected_frames["insight_viewers"]) == WEEKS  # the running week left out
    want = ExitCode.OK if drop == 1.0 else ExitCode.CHECKS_FAILED
    assert expected_code == want, expected_run
    for how in SOURCES:
        config = _amplitude(suites / f"{how}-{drop}", fake, how)
        fake.requests.clear()
        code, run, text = _run(config)
        # the backfill of 27 weeks reads each dataset in one call, not one a week
        assert len(fake.requests) <= 3 * len(SOURCES[how]), fake.requests
        assert (code, run["status"]) == (expected_code, expected_run["status"]), run
        assert _verdicts(run) == _verdicts(expected_run)
        for dataset, frame in _pulled(config).items():
            pd.testing.assert_frame_equal(frame, expected_frames[dataset], check_like=True)
        assert API_KEY not in text and SECRET_KEY not in text


def test_segmentation_asks_for_weekly_buckets_from_monday_through_sunday() -> None:
    cfg = AmplitudeConfig.model_validate({"kind": "amplitude", "datasets": SOURCES["segmentation"]})
    seg = cfg.datasets["viewers_by_page"].segmentation
    assert seg is not None
    params = segmentation_params(seg, LATEST_WEEK - WEEK * 3, LATEST_WEEK)
    assert params == {
        "e": '{"event_type":"Viewed Insights Page","group_by":[{"type":"event","value":"page"}]}',
        "m": "uniques",
        "i": "7",
        "start": "20261026",
        "end": "20261122",
    }


def test_region_picks_the_api_host_and_base_url_overrides_it() -> None:
    def url(**keys: Any) -> str:
        raw = {"kind": "amplitude", "datasets": {"d": {"chart": "1"}}, **keys}
        return AmplitudeConfig.model_validate(raw).url

    assert url() == "https://amplitude.com"
    assert url(region="eu") == "https://analytics.eu.amplitude.com"
    assert url(region="eu", base_url="http://127.0.0.1:9/") == "http://127.0.0.1:9"


def test_a_dataset_needs_exactly_one_of_chart_or_segmentation(tmp_path: Path) -> None:
    for entry in ({}, {"chart": "1", "segmentation": {"event": "x"}}):
        source = {"kind": "amplitude", "datasets": {"insight_viewers": entry}}
        with pytest.raises(ConfigError, match="exactly one of chart or segmentation"):
            load_config(write_config(tmp_path, sources={"usage": source}), environ={})


def _client(fake: AmplitudeFake, waits: list[float], **retries: Any) -> AmplitudeClient:
    return AmplitudeClient(
        source="usage",
        base_url=fake.url,
        api_key=SecretStr(API_KEY),
        secret_key=SecretStr(SECRET_KEY),
        timeout=0.5,
        retries=AmplitudeRetries(**{"attempts": 3, "backoff": 0.5, **retries}),
        sleep=waits.append,
    )


CHART = "/api/3/chart/e5k2x9a/query"


def test_429_is_retried_after_the_seconds_retry_after_gives(fake: AmplitudeFake) -> None:
    fake.faults.rate_limited, fake.faults.retry_after = 2, "7"
    waits: list[float] = []
    answer = _client(fake, waits).get(CHART, {}, "chart e5k2x9a")
    assert waits == [7.0, 7.0] and len(answer["data"]["series"]) == 1
    fake.faults.rate_limited, fake.faults.retry_after = 1, "900"
    _client(fake, waits := [], retry_after_max=30).get(CHART, {}, "chart e5k2x9a")
    assert waits == [30.0]  # capped
    fake.faults.rate_limited, fake.faults.retry_after = 1, None
    _client(fake, waits := []).get(CHART, {}, "chart e5k2x9a")
    assert waits == [0.5]  # no Retry-After: the backoff


def test_server_errors_back_off_then_are_transient_naming_the_source(
    fake: AmplitudeFake, caplog: pytest.LogCaptureFixture
) -> None:
    fake.faults.server_errors = 2
    waits: list[float] = []
    _client(fake, waits).get(CHART, {}, "chart e5k2x9a")
    assert waits == [0.5, 1.0]
    fake.faults.rate_limited = 10
    with caplog.at_level(logging.WARNING), pytest.raises(TransientSourceError) as err:
        _client(fake, []).get(CHART, {}, "chart e5k2x9a")
    assert str(err.value).startswith("sources.usage: chart e5k2x9a: HTTP 429")
    assert "Too many concurrent requests" in str(err.value) and "after 4 tries" in str(err.value)
    assert "retry 3 in" in caplog.text
    for text in (str(err.value), caplog.text):
        assert API_KEY not in text and SECRET_KEY not in text


def test_a_slow_answer_times_out_as_transient(fake: AmplitudeFake) -> None:
    fake.faults.slow = 1.0
    with pytest.raises(TransientSourceError, match=r"ReadTimeout calling http://127\.0\.0\.1"):
        _client(fake, [], attempts=1).get(CHART, {}, "chart e5k2x9a")


def test_an_html_page_an_unknown_chart_and_wrong_keys_are_terminal(fake: AmplitudeFake) -> None:
    client = _client(fake, [])
    with pytest.raises(SourceError, match=r"not found .* check the id") as err:
        client.get("/api/3/chart/nope/query", {}, "chart nope")
    assert not err.value.transient
    fake.faults.html = True
    with pytest.raises(SourceError, match=r"not JSON \(text/html") as err:
        client.get(CHART, {}, "chart e5k2x9a")
    assert not err.value.transient
    wrong = AmplitudeClient(
        "usage",
        fake.url,
        SecretStr(API_KEY),
        SecretStr("wrong-secret"),
        1.0,
        AmplitudeRetries(),
    )
    with pytest.raises(SourceError, match="rejected the API key or secret key") as err:
        wrong.get(CHART, {}, "chart e5k2x9a")
    assert not err.value.transient and "wrong-secret" not in str(err.value)


def test_weeks_that_start_on_sunday_are_refused_saying_what_to_set(
    suites: Path, fake: AmplitudeFake, keys: None
) -> None:
    sundays = {LATEST_WEEK - timedelta(days=1) - WEEK * n: 5 for n in range(3)}
    fake.charts["e5k2x9a"] = Chart({"": sundays})
    with pytest.raises(SourceError, match=r"starts on a Sunday.*start on Monday"):
        _pulled(_amplitude(suites / "sundays", fake, "chart"))


@pytest.mark.usefixtures("keys")
def test_a_wrong_secret_is_exit_3_naming_the_source_and_no_key_is_shown(
    suites: Path,
    fake: AmplitudeFake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("AMPLITUDE_SECRET_KEY", "s3cret-that-is-wrong")
    config = _amplitude(suites / "wrong", fake, "chart")
    code, run, text = _run(config)
    assert code == ExitCode.INCOMPLETE and run["status"] == "error"
    assert "sources.usage: chart e5k2x9a (insight_viewers): Amplitude rejected" in text
    assert "check sources.usage.api_key and secret_key" in text
    out = capsys.readouterr()
    logs = "".join(p.read_text() for p in (suites / "wrong").rglob("*.log"))
    for shown in (text, out.out, out.err, logs):
        assert API_KEY not in shown and "s3cret-that-is-wrong" not in shown


@pytest.mark.usefixtures("keys")
def test_doctor_checks_the_keys_every_chart_and_every_event(
    suites: Path,
    fake: AmplitudeFake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    config = _amplitude(suites / "doctor", fake, "chart")
    assert main(["doctor", "--config", str(config)]) == ExitCode.OK
    out = " ".join(capsys.readouterr().out.split())
    assert "usage: keys: accepted by http://127.0.0.1" in out
    assert "usage: insight_viewers: chart e5k2x9a: weekly, 61 weeks" in out
    assert "usage: viewers_by_page: chart 40417: weekly, 61 weeks" in out and "2 series" in out
    assert "secret sources.usage.secret_key: from env AMPLITUDE_SECRET_KEY" in out
    assert API_KEY not in out and SECRET_KEY not in out

    fake.charts["e5k2x9a"] = Chart(_numbers(1.0)[1])  # broken down by page
    assert main(["doctor", "--config", str(config)]) == ExitCode.USAGE
    out = " ".join(capsys.readouterr().out.split())
    assert "insight_viewers: chart e5k2x9a" in out and "2 series but the tile has no" in out

    del fake.charts["40417"]
    assert main(["doctor", "--config", str(config)]) == ExitCode.USAGE
    assert "chart 40417 (viewers_by_page): not found" in " ".join(capsys.readouterr().out.split())

    seg = _amplitude(suites / "doctor-seg", fake, "segmentation")
    fake.events = {"Viewed Dashboards": fake.events["Viewed Insights Page"]}
    assert main(["doctor", "--config", str(seg)]) == ExitCode.USAGE
    out = " ".join(capsys.readouterr().out.split())
    assert "event 'Viewed Insights Page' is not an event type of the project" in out

    monkeypatch.setenv("AMPLITUDE_SECRET_KEY", "not-it")
    assert main(["doctor", "--config", str(config)]) == ExitCode.USAGE
    out = " ".join(capsys.readouterr().out.split())
    assert "usage: keys" in out and "rejected the API key or secret key" in out
    assert "not-it" not in out and API_KEY not in out


def test_a_refused_connection_is_transient_naming_the_host() -> None:
    client = AmplitudeClient(
        "usage",
        "http://127.0.0.1:1",
        SecretStr(API_KEY),
        SecretStr(SECRET_KEY),
        1.0,
        AmplitudeRetries(attempts=1, backoff=0),
    )
    with pytest.raises(TransientSourceError, match=r"ConnectError calling http://127\.0\.0\.1:1"):
        client.get(CHART, {}, "chart e5k2x9a")


@pytest.mark.usefixtures("keys")
def test_a_chart_broken_down_for_a_tile_without_a_segment_says_what_to_change(
    suites: Path, fake: AmplitudeFake
) -> None:
    fake.charts["e5k2x9a"] = Chart(_numbers(1.0)[1])
    with pytest.raises(SourceError, match="2 series but the tile has no segment column"):
        _pulled(_amplitude(suites / "broken-down", fake, "chart"))


def test_a_key_not_set_is_exit_3_saying_where_it_was_looked_for(
    suites: Path,
    fake: AmplitudeFake,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.delenv("AMPLITUDE_API_KEY", raising=False)
    monkeypatch.setenv("AMPLITUDE_SECRET_KEY", SECRET_KEY)
    config = _amplitude(suites / "no-key", fake, "segmentation")
    code = main(["run", "--config", str(config), "--as-of", AS_OF.isoformat()])
    out = capsys.readouterr()
    assert code == ExitCode.INCOMPLETE
    assert "secret 'sources.usage.api_key' is not set; looked in: env AMPLITUDE_API_KEY" in out.err
    assert SECRET_KEY not in out.out + out.err and not fake.requests
