"""``canary doctor`` on an Amplitude source: the keys against the project's event list,
then every dataset's tile, its event or its chart id, and whether the chart fits the tile."""

from __future__ import annotations

from collections.abc import Iterator

from canary.doctor.base import Context, Finding, failure
from canary.errors import CanaryError
from canary.sources.amplitude.config import AmplitudeConfig
from canary.sources.amplitude.series import Columns, columns_of, rows_of
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
        check = f"{name}: {dataset}"
        try:
            columns = _columns(ctx, name, dataset)
        except CanaryError as exc:
            yield failure(check, exc)
            continue
        if entry.segmentation is not None:
            event = entry.segmentation.event
            found = event in events
            yield Finding(
                check,
                "ok" if found else "fail",
                f"event {event!r} {'found' if found else 'is not an event type of the project'}",
            )
        else:
            yield from _chart(source, dataset, columns)


def _columns(ctx: Context, name: str, dataset: str) -> Columns:
    """Where the tile a monitor checks ``dataset`` as puts the numbers (any, if none does)."""
    for monitor in ctx.config.monitors.values():
        if dataset in monitor.datasets and monitor.source_for(dataset) == name:
            tile = ctx.config.catalog.dashboards[monitor.dashboard].tile(dataset)
            return columns_of(tile, f"sources.{name}: {dataset}")
    return Columns("week", "value", "segment")


def _chart(source: AmplitudeSource, dataset: str, columns: Columns) -> Iterator[Finding]:
    """A saved chart: found, weekly, and shaped as its tile: one series, or one a segment."""
    chart = source.entry(dataset).chart
    check = f"{source.name}: {dataset}: chart {chart}"
    try:
        what, answer = source.answer(dataset, None, source.this_week)
        rows = rows_of(answer, columns, f"sources.{source.name}: {what}")
    except CanaryError as exc:
        yield failure(check, exc)
        return
    weeks = rows[columns.week].drop_duplicates()
    gaps = weeks.diff().dropna().dt.days.unique().tolist()
    if gaps and gaps != [7]:
        yield Finding(check, "fail", "not a weekly chart: set its interval to weekly")
        return
    span = f"{weeks.min():%Y-%m-%d} to {weeks.max():%Y-%m-%d}" if len(weeks) else "no weeks"
    series = rows[columns.segment].nunique() if columns.segment else 1
    yield Finding(check, "ok", f"weekly, {len(weeks)} weeks ({span}), {series} series")
