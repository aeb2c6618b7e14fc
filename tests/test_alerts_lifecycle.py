"""The lifecycle (pure), routing, masking and the ``slack:`` config section."""

from __future__ import annotations

import dataclasses
from datetime import date
from pathlib import Path

import pytest

from canary.alerts.lifecycle import (
    Followed,
    Tracked,
    Transition,
    active_mute,
    decide,
    is_flapping,
)
from canary.alerts.policy import Masking, Mute
from canary.alerts.privacy import masked_reason, masked_rows
from canary.alerts.render.digest import digest, followed
from canary.alerts.render.model import alert_from_check
from canary.alerts.routing import channel_for, mentions, owners_of
from canary.errors import ConfigError
from canary.incidents import incidents_of
from canary.results import CheckResult
from tests.alert_builders import W1, W2, W3, W4, check, make_config, run_of

MONITOR = "code-insights-all-instances"


def _decide(
    tracked: dict[str, Tracked],
    week: date,
    *checks: CheckResult,
    mutes: dict[str, Mute] | None = None,
) -> list[Transition]:
    """One run's lifecycle steps; its incidents' checks are known as a stored message would
    know them."""
    run = run_of(week, *checks)
    d = digest(run, incidents_of([run]), Masking())
    members = {fp: [c.id for c in checks] for fp in tracked}
    return decide(run, followed(d), tracked, members, mutes or {}, week)


def _step(tracked: dict[str, Tracked], week: date, status: str, **kw: object) -> str:
    """Run one week of one check through ``decide``; keep the state as a store would."""
    steps = _decide(tracked, week, check(status=status), **kw)  # type: ignore[arg-type]
    if not steps:
        return "none"
    t = steps[0]
    if t.kind in ("new", "reopened"):
        t.after.posted, t.after.thread_key, t.after.channel = True, f"thread-{week}", "#x"
    tracked[t.check.id] = t.after
    return t.kind


def test_new_then_ongoing_then_resolved_then_reopened_and_flapping() -> None:
    tracked: dict[str, Tracked] = {}
    assert _step(tracked, W1, "failed") == "new"
    assert _step(tracked, W1, "failed") == "unchanged"  # a rerun of the week
    assert _step(tracked, W2, "failed") == "ongoing"
    [(key, state)] = tracked.items()
    assert key.startswith("inc-") and state.monitor == MONITOR
    assert state.opened_week == W1 and state.thread_key == f"thread-{W1}"
    assert _step(tracked, W3, "passed") == "resolved"  # the incident is gone, its check passed
    assert _step(tracked, W3, "passed") == "none"  # nothing open any more
    assert _step(tracked, W4, "failed") == "reopened"  # the same breakage: the same id
    [(again, state)] = tracked.items()
    assert again == key and is_flapping([s for _, s in state.history])
    assert state.opened_week == W4 and state.thread_key == f"thread-{W4}"


def test_failing_checks_regrouped_on_a_rerun_post_nothing_and_resolve_nothing() -> None:
    """A week's two incidents told, then one incident of the same failing checks (a rerun
    once another monitor's run of the week is recorded): it takes over their thread and
    nothing is posted or resolved; next week it is ongoing there; when the checks pass,
    all of them resolve in that thread. An incident whose failing check moved to one that
    is not only its own stays open."""
    nulls, drop = check(), check("level", column="total_insights_unique_page_views")
    first = [Followed(f"inc-{c.id}", MONITOR, "failed", W1, c.id, (c.id,)) for c in (nulls, drop)]
    tracked = {}
    for t in decide(run_of(W1, nulls, drop), first, {}, {}, {}, W1):
        t.after.posted, t.after.thread_key, t.after.channel = True, "thread-1", "#x"
        tracked[t.check.id] = t.after
    told = dict(tracked)
    members = {f.id: list(f.check_ids) for f in first}
    both = Followed("inc-both", MONITOR, "failed", W1, "both", (nulls.id, drop.id))
    steps = decide(run_of(W1, nulls, drop), [both], tracked, members, {}, W1)
    kinds = {t.check.id: t.kind for t in steps}
    assert kinds == {"inc-both": "unchanged", **{f.id: "unchanged" for f in first}}
    assert all(t.after.status == "open" for t in steps)
    heir = next(t.after for t in steps if t.check.id == "inc-both")
    assert (heir.posted, heir.thread_key, heir.opened_week) == (True, "thread-1", W1)
    tracked.update({t.check.id: t.after for t in steps})
    steps = decide(run_of(W2, nulls, drop), [both], tracked, members, {}, W2)
    assert {t.check.id: t.kind for t in steps} == {
        "inc-both": "ongoing",  # a reply in thread-1
        **{f.id: "unchanged" for f in first},
    }
    tracked.update({t.check.id: t.after for t in steps})
    passed = [dataclasses.replace(c, status="passed") for c in (nulls, drop)]
    known = {**members, "inc-both": [nulls.id, drop.id]}
    steps = decide(run_of(W3, *passed), [], tracked, known, {}, W3)
    assert {t.check.id: t.kind for t in steps} == dict.fromkeys(tracked, "resolved")
    assert {t.before.thread_key for t in steps if t.before} == {"thread-1"}
    # a new failing check beside a moved one: a new incident, the old ones stay open
    other = check("schema", column="total_dashboard_count")
    wider = Followed("inc-wider", MONITOR, "failed", W1, "wider", (nulls.id, other.id))
    steps = decide(run_of(W1, nulls, drop, other), [wider], told, members, {}, W1)
    assert {t.check.id: t.kind for t in steps} == {
        "inc-wider": "new",
        first[0].id: "unchanged",
        first[1].id: "unchanged",
    }
    assert all(t.after.status == "open" for t in steps)


def test_an_incident_of_an_unreadable_dataset_resolves_once_the_dataset_reads() -> None:
    """A dataset that could not be read is one ``pull`` error; once it reads, that check is
    gone and its other checks are judged: the incident resolves. A run that still cannot
    judge the dataset leaves it open."""
    pull = check("pull", "error", column=None)
    unreadable = Followed("inc-pull", MONITOR, "error", W1, "p", (pull.id,))
    [told] = decide(run_of(W1, pull), [unreadable], {}, {}, {}, W1)
    told.after.posted, told.after.thread_key = True, "thread-1"
    tracked = {"inc-pull": told.after}
    members, datasets = {"inc-pull": [pull.id]}, {"inc-pull": ["page_views"]}
    fine = check("not null", "passed")
    [step] = decide(run_of(W1, fine), [], tracked, members, {}, W1, datasets)
    assert step.kind == "resolved" and step.after.status == "resolved"
    other = check("not null", "passed", dataset="creators", column="total_insight_creators")
    [step] = decide(run_of(W1, other), [], tracked, members, {}, W1, datasets)
    assert step.kind == "unchanged" and step.after.status == "open"
    # the dataset unreadable again, for another reason: still not judged
    again = check("pull", "error", column="weekly_insights_page_views")
    [step] = decide(run_of(W1, again), [], tracked, members, {}, W1, datasets)
    assert step.kind == "unchanged" and step.after.status == "open"


def test_backfill_and_unchecked_weeks_change_nothing() -> None:
    tracked: dict[str, Tracked] = {}
    _step(tracked, W2, "failed")
    assert _step(tracked, W1, "passed") == "none"  # an older week: no resolution
    assert _step(tracked, W3, "skipped") == "unchanged"  # not evaluated: still open
    assert next(iter(tracked.values())).status == "open"
    assert _step(tracked, W4, "passed") == "resolved"


def test_an_incident_gone_with_its_checks_unknown_resolves() -> None:
    tracked: dict[str, Tracked] = {}
    _step(tracked, W1, "failed")
    run = run_of(W2, check(status="skipped"))
    [step] = decide(run, [], tracked, {}, {}, W2)  # no stored message says what it was made of
    assert step.kind == "resolved"


def test_passing_checks_without_history_are_not_tracked() -> None:
    assert _decide({}, W1, check(status="passed")) == []


def test_mutes_by_fingerprint_and_pattern_until_expiry() -> None:
    c = check()
    by_id = {"a": Mute(fingerprint=c.id, until=W2, reason="known, fix in review")}
    by_glob = {
        "b": Mute(pattern="code-insights-all-instances/page_views/*", until=W2, reason="rollout")
    }
    other = {"c": Mute(pattern="*/creators/*", until=W4, reason="other dataset")}
    for mutes in (by_id, by_glob):
        assert active_mute(c, mutes, W2) is not None
        assert active_mute(c, mutes, W2 + (W2 - W1)) is None  # expired the day after `until`
    assert active_mute(c, other, W1) is None
    tracked: dict[str, Tracked] = {}
    assert _step(tracked, W1, "failed", mutes=by_id) == "muted"
    assert _step(tracked, W2, "failed", mutes=by_id) == "muted"
    assert _step(tracked, W3, "failed", mutes=by_id) == "new"  # the mute has expired
    assert next(iter(tracked.values())).opened_week == W1  # failing since it was muted


def test_an_incident_is_muted_when_all_its_checks_are_or_a_mute_names_it() -> None:
    nulls = check("not null")
    rate = check("null rate", segment={"version_minor": "5.3"})
    one = {"a": Mute(fingerprint=nulls.id, until=W2, reason="known")}
    both = {**one, "b": Mute(fingerprint=rate.id, until=W2, reason="known")}
    [step] = _decide({}, W1, nulls, rate, mutes=one)  # one incident of two checks
    assert step.kind == "new"  # one check muted: the other still tells the breakage
    assert [t.kind for t in _decide({}, W1, nulls, rate, mutes=both)] == ["muted"]
    run = run_of(W1, nulls, rate)
    [incident] = incidents_of([run])
    named = {"c": Mute(fingerprint=incident.id, until=W2, reason="the incident, by its id")}
    assert [t.kind for t in _decide({}, W1, nulls, rate, mutes=named)] == ["muted"]


def test_weeks_failing_counts_from_the_first_failed_week() -> None:
    c = check(first_failed_week=W1)
    alert = alert_from_check(c, W3, state="ongoing", opened=W2)
    assert alert.weeks_failing == 3 and alert.first_failed_week == W1


def test_routes_override_the_monitor_channel(tmp_path: Path) -> None:
    config = make_config(
        tmp_path,
        routes={
            "errors": {"status": "error", "channel": "#canary-ops"},
            "usage": {"dataset": "instance_usage", "check": "usage *", "channel": "C0123456789"},
        },
        owners={"page_views": ["U0123ABCDE"], "code-insights-canary/*": ["S0123ABCDE"]},
        ping={"critical": ["owners", "here"], "warning": ["owners"]},
    )
    m = "code-insights-all-instances"
    assert channel_for(config, m, "creators", "pull", "error") == "#canary-ops"
    assert channel_for(config, m, "instance_usage", "usage reported", "failed") == "C0123456789"
    assert channel_for(config, m, "instance_usage", "not null", "failed") == (
        "#code-insights-internal"
    )
    assert channel_for(config, "code-insights-canary", "page_views", "x", "failed") == (
        "#code-insights-internal"
    )
    assert owners_of(config.slack, "code-insights-canary", "page_views") == [
        "U0123ABCDE",
        "S0123ABCDE",
    ]
    assert mentions(config.slack, [("critical", m, "page_views")]) == ["<@U0123ABCDE>", "<!here>"]
    assert mentions(config.slack, [("warning", m, "page_views")]) == ["<@U0123ABCDE>"]
    assert mentions(config.slack, [("info", m, "page_views")]) == []


def test_sample_rows_are_masked_per_column_and_by_pattern() -> None:
    masking = Masking(columns={"site_id": "mask", "instance_label": "drop"}, sample_rows=2)
    rows = [
        {"site_id": "abc-1", "instance_label": "Acme", "note": "mail ops@acme.io from 10.1.2.3"},
        {"site_id": "abc-2", "instance_label": "Beta", "note": "LK-AB12-CD34-EF56"},
        {"site_id": "abc-3", "instance_label": "Gamma", "note": "third"},
    ]
    shown = masked_rows(rows, masking)
    assert shown == [
        {"site_id": "***", "note": "mail ***@*** from ***.***.***.***"},
        {"site_id": "***", "note": "LK-****-****-****"},
    ]
    reason = "d, week w: site_id repeats on 2 rows; e.g. 'abc-1', 'abc-2'."
    assert masked_reason(reason, "site_id", masking) == "d, week w: site_id repeats on 2 rows."
    assert "abc-1" in masked_reason(reason, "other", masking)
    assert masked_reason("by ops@acme.io", None, masking) == "by ***@***"


@pytest.mark.parametrize(
    ("section", "message"),
    [
        (
            {"mutes": {"m": {"until": "2026-12-01", "reason": "why"}}},
            "slack.mutes.m: name exactly one",
        ),
        ({"owners": {"d": ["bob"]}}, "slack.owners.d.0: a Slack user id"),
        ({"delivery": "webhook"}, "no webhook is set"),
        ({"routes": {"r": {"channel": "#a", "dataset_name": "x"}}}, "unknown key 'dataset_name'"),
        ({"ping": {"urgent": ["owners"]}}, "slack.ping: key 'urgent': Input should be 'critical'"),
        ({"base_url": "127.0.0.1/api"}, "slack.base_url"),
        ({"masking": {"columns": {"site_id": "hash"}}}, "slack.masking.columns.site_id"),
    ],
)
def test_slack_config_errors_name_the_key(
    tmp_path: Path, section: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError, match=message.replace(".", r"\.").replace("(", r"\(")):
        make_config(tmp_path, **section)


def test_slack_section_is_optional_and_defaults_to_the_env_token(tmp_path: Path) -> None:
    from canary.config import load_config
    from tests.conftest import write_config

    config = load_config(write_config(tmp_path))
    assert config.slack.delivery == "auto" and config.slack.token.env == "SLACK_BOT_TOKEN"
