"""``canary doctor`` on an Amplitude source: the keys against the project's event list,
then every dataset's chart id or event, and whether its answer fits the tile."""

from __future__ import annotations

from collections.abc import Iterator

from canary.doctor.base import Context, Finding, failure
from canary.errors import CanaryError
from canary.sources.amplitude.config import AmplitudeConfig
from canary.sources.amplitude.series import Columns, rows_of
from canary.sources.amplitude.source import AmplitudeSource, client_of
from canary.weeks import week_start

EVENTS = "/api/2/events/list"  # the project's event types: the cheapest call that needs keys


def check(ctx: Context, name: str, cfg: AmplitudeConfig) -> Iterator[Finding]:
    """Keys first (a failure stops there), then one finding per dataset."""
    try:
        client = client_of(name, cfg, ctx.environ)
        answer = client.get(EVENTS, {}, f"listing the events at {cfg.url}")
    except CanaryError as exc:
        yield failure(f"{name}: keys", exc)
        return
    listed = answer.get("data") if isinstance(answer, dict) else None
    events = {e.get("name") for e in listed or () if isinstance(e, dict)}
    yield Finding(f"{name}: keys", "ok", f"accepted by {cfg.url} ({len(events)} event types)")
    source = AmplitudeSource(name, cfg, client, week_start(ctx.now.date()))
    for dataset, entry in cfg.datasets.items():
        if entry.segmentation is not None:
            event = entry.segmentation.event
            found = event in events
            yield Finding(
                f"{name}: {dataset}",
                "ok" if found else "fail",
                f"event {event!r} {'found' if found else 'is not an event type of the project'}",
            )
        else:
            yield from _chart(source, dataset)


def _chart(source: AmplitudeSource, dataset: str) -> Iterator[Finding]:
    """A saved chart: found, weekly, and shaped as one series (or one per segment)."""
    chart = source.entry(dataset).chart
    check = f"{source.name}: {dataset}: chart {chart}"
    try:
        what, answer = source.answer(dataset, None, source.this_week)
        rows = rows_of(
            answer, Columns("week", "value", "segment"), f"sources.{source.name}: {what}"
        )
    except CanaryError as exc:
        yield failure(check, exc)
        return
    weeks = rows["week"].drop_duplicates()
    gaps = weeks.diff().dropna().dt.days.unique().tolist()
    if gaps and gaps != [7]:
        yield Finding(check, "fail", "not a weekly chart: set its interval to weekly")
        return
    span = f"{weeks.min():%Y-%m-%d} to {weeks.max():%Y-%m-%d}" if len(weeks) else "no weeks"
    segments = rows["segment"].nunique()
    yield Finding(check, "ok", f"weekly, {len(weeks)} weeks ({span}), {segments} series")
