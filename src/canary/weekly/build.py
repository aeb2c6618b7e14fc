"""The weekly report's content (pure): a monitor's week told from its run, its stored
metrics and expected ranges, and the week's other runs.

Headline numbers against the week before, the 4 weeks before and last year; the chart's
series with their bands; the segments that moved most; calendar effects; whether the
pipeline behind the numbers is healthy; and the lede, the one line a reader takes away.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from canary import readable
from canary.alerts.policy import Masking
from canary.alerts.render.digest import fingerprint
from canary.alerts.render.model import Link
from canary.config import QuietWeek, ReportConfig
from canary.dashboards import Tile
from canary.display import shown_label
from canary.incidents import incidents_of
from canary.incidents.classify import Class, week_facts
from canary.incidents.model import Incident
from canary.masking import mask_text
from canary.results import CheckResult, RunResult
from canary.weekly.body import ChartSeries, Headline, Health, Mover, ReportBody, Standing, Told
from canary.weekly.measures import Measure, chosen_measures
from canary.weeks import WEEK, weeks_back

#: the check whose expected range places a headline number
LEVEL = "level"
#: the check that fails on a broad change in usage
USAGE_CHANGE = "usage change"
#: up to this many headline numbers are all charted (more: the first of each tile)
CHART_ALL = 6
#: the biggest movers told of each segment field (version, deploy type...)
MOVERS = 3
#: movers are told when the measure they explain moved at least this much from last week
MOVED = 0.05
MEDIAN_WEEKS = 4
#: how the lede opens on incidents of a class other than product
LEADS = (
    ("pipeline", "Numbers unreliable this week"),
    ("unclear", "An unexplained change this week"),
)
Range = tuple[float | None, float | None]
#: (dataset, column, week) -> a stored ``level`` check's expected range
Bands = Mapping[tuple[str, str, date], Range]
#: (dataset, column, segment, week) -> a stored metric's value
Values = Mapping[tuple[str, str, str, date], float]


@dataclass(frozen=True)
class Setup:
    """What of a monitor's config its report needs."""

    title: str
    tiles: Mapping[str, Tile]  # its dashboard's tiles that it checks, by dataset
    report: ReportConfig
    quiet_weeks: Sequence[QuietWeek] = ()
    masking: Masking = field(default_factory=Masking)
    #: every tile, by dataset: incidents are grouped over them as alerts group them, so
    #: that an incident has the id (and thread) its alert has; empty: ``tiles``
    catalog: Mapping[str, Tile] = field(default_factory=dict)
    #: whether the config has a canary instance's monitor (one scoped by its dashboard's
    #: filters); without one the report says nothing of it
    watches_canary: bool = True


def build(
    setup: Setup,
    run: RunResult,
    others: Sequence[RunResult],
    metrics: pd.DataFrame,
    bands: Bands,
    links: Sequence[Link] = (),
    threads: Mapping[str, Link] | None = None,
) -> ReportBody:
    """The report of ``run``'s week. ``metrics``: the monitor's stored metric rows (dataset,
    week, column_name, segment, metric, value) of its series tiles, this week's included;
    ``bands``: stored expected ranges of earlier weeks; ``others``: the other monitors' runs of
    the week; ``threads``: incident alert key -> its Slack thread."""
    values = values_of(metrics)
    chosen = chosen_measures(setup.tiles.values(), setup.report.metrics)
    heads = headlines(values, chosen, run.week, run.checks)
    headlined = present(chosen, heads)
    charted = key_measures(headlined, bool(setup.report.metrics))
    # this week's band is the run's own check (not stored yet while the run is delivered)
    bands = {**bands, **{(h.dataset, h.column, run.week): (h.low, h.high) for h in heads}}
    runs = [run, *(r for r in others if r.week == run.week and r.monitor != run.monitor)]
    incidents = [
        i
        for i in incidents_of(runs, setup.catalog or setup.tiles)
        if run.monitor in i.monitors and i.week == run.week
    ]
    labels = column_labels((setup.catalog or setup.tiles).values())
    return ReportBody(
        monitor=run.monitor,
        week=run.week,
        title=setup.title,
        lede=labelled(lede(run, incidents, heads), labels),
        headlines=heads,
        movers=movers(setup.tiles, values, headlined, run.week, setup.masking),
        calendar=calendar(setup.quiet_weeks, run.week),
        health=health(
            run, incidents, canary_verdict(runs, setup.watches_canary), threads or {}, labels
        ),
        links=list(dict.fromkeys(link for link in links if link.web)),
        series=series(charted, values, bands, run.week, setup.report.weeks),
        drill=run.drill,
    )


def wanted(report: ReportConfig, body: ReportBody) -> bool:
    """Whether the report is sent this week: ``weekly`` always, ``on_change`` when a number
    is outside its expected range or an incident is open, ``never`` not."""
    if report.when == "weekly":
        return True
    if report.when == "never":
        return False
    outside = any(h.standing in ("below", "above") for h in body.headlines)
    return outside or bool(body.health and body.health.incidents)


def values_of(metrics: pd.DataFrame) -> Values:
    """(dataset, column, segment, week) -> value, of the rows of metric ``value``."""
    if metrics.empty:
        return {}
    rows = metrics[(metrics["metric"] == "value") & metrics["value"].notna()]
    return {
        (d, c, s, w): float(v)
        for d, c, s, w, v in zip(
            rows["dataset"],
            rows["column_name"],
            rows["segment"],
            rows["week"],
            rows["value"],
            strict=True,
        )
    }


def year_ago(week: date) -> date | None:
    """The same ISO week a year before (None when that year has no such week: week 53)."""
    iso = week.isocalendar()
    try:
        return date.fromisocalendar(iso.year - 1, iso.week, 1)
    except ValueError:
        return None


def headlines(
    values: Values, measures: Sequence[Measure], week: date, checks: Sequence[CheckResult] = ()
) -> list[Headline]:
    """Each of ``measures`` stored for ``week``, placed by its ``level`` check among
    ``checks`` (the run's), when one judged it."""
    levels = {
        (c.dataset, c.column): c
        for c in checks
        if c.check == LEVEL and c.segment is None and c.column
    }
    found = (headline(m, week, values, levels.get((m.dataset, m.column))) for m in measures)
    return [h for h in found if h is not None]


def headline(
    m: Measure,
    week: date,
    values: Values,
    level: CheckResult | None,
) -> Headline | None:
    """``m`` this week (None when not stored) against the stored weeks (the 4-week median
    only when all 4 are stored), placed in the expected range of its ``level`` check when
    one judged it."""

    def at(w: date | None) -> float | None:
        return None if w is None else values.get((m.dataset, m.column, "", w))

    value = at(week)
    if value is None:
        return None
    past = [v for i in range(1, MEDIAN_WEEKS + 1) if (v := at(week - WEEK * i)) is not None]
    low, high, standing = _placed(value, level)
    return Headline(
        dataset=m.dataset,
        column=m.column,
        label=m.label,
        value=value,
        week_before=at(week - WEEK),
        median_4w=statistics.median(past) if len(past) == MEDIAN_WEEKS else None,
        year_ago=at(year_ago(week)),
        low=low,
        high=high,
        standing=standing,
    )


def _placed(value: float, level: CheckResult | None) -> tuple[float | None, float | None, Standing]:
    """The range of a ``level`` verdict (counts: never below 0) and where ``value`` stands."""
    if level is None or not level.expected or level.status not in ("passed", "failed", "warning"):
        return None, None, "unknown"
    low, high = _bounds(level.expected.get("min"), level.expected.get("max"))
    if low is not None and value < low:
        return low, high, "below"
    if high is not None and value > high:
        return low, high, "above"
    return low, high, "within"


def _bounds(low: float | None, high: float | None) -> Range:
    return (None if low is None else max(low, 0.0)), high


def present(chosen: list[Measure], heads: list[Headline]) -> list[Measure]:
    """The ``chosen`` measures stored this week (those with a headline)."""
    shown = {(h.dataset, h.column) for h in heads}
    return [m for m in chosen if (m.dataset, m.column) in shown]


def key_measures(measures: list[Measure], configured: bool) -> list[Measure]:
    """What the chart's series are: the configured numbers, or all when few, else the first
    number of each tile (the chart draws some of them and says so when it cannot draw
    them all)."""
    if configured or len(measures) <= CHART_ALL:
        return measures
    firsts = {m.dataset: m for m in reversed(measures)}
    return [m for m in measures if firsts[m.dataset] is m]


def series(
    measures: list[Measure],
    values: Values,
    bands: Bands,
    week: date,
    weeks: int,
) -> list[ChartSeries]:
    """The last ``weeks`` weeks of each measure, with each week's expected band where the
    stored checks of that week (``bands``) give one."""
    span = weeks_back(week, weeks)
    out = []
    for m in measures:
        ranges = [_bounds(*bands.get((m.dataset, m.column, w), (None, None))) for w in span]
        out.append(
            ChartSeries(
                label=m.label,
                weeks=span,
                values=[values.get((m.dataset, m.column, "", w)) for w in span],
                low=[r[0] for r in ranges],
                high=[r[1] for r in ranges],
            )
        )
    return out


def movers(
    tiles: Mapping[str, Tile],
    values: Values,
    measures: list[Measure],
    week: date,
    masking: Masking,
) -> list[Mover]:
    """The segments (version, deploy type...) that moved most from last week, of the
    measure that moved most of ``measures`` the segmented tiles break down, when it moved by
    ``MOVED`` or more: ``MOVERS`` at most of each segment field, field by field (the field
    of the biggest move first), so that the shares of one field read together."""
    by_column = {m.column: m for m in measures}
    split = {
        (name, f.column)
        for name, tile in tiles.items()
        if tile.shape == "series" and len(tile.segments) == 1
        for f in tile.fields
        if f.kind == "measure" and f.column in by_column
    }
    if not split:
        return []

    def moved(m: Measure) -> float:
        now, before = (values.get((m.dataset, m.column, "", w)) for w in (week, week - WEEK))
        return abs(now / before - 1) if now is not None and before else 0.0

    main = max((by_column[c] for _, c in split), key=moved)
    if moved(main) < MOVED:
        return []  # nothing to explain: segments trading places inside a steady whole
    fields: list[list[Mover]] = []
    for name, column in sorted(split):
        if column == main.column:
            moves = _segment_moves(tiles[name], column, main.label, values, week, masking)
            moves.sort(key=lambda m: (-abs(m.value - m.before), m.label))
            if moves:
                fields.append(moves[:MOVERS])
    fields.sort(key=lambda f: (-abs(f[0].value - f[0].before), f[0].field))
    return [m for moves in fields for m in moves]


def _segment_moves(
    tile: Tile,
    column: str,
    label: str,
    values: Values,
    week: date,
    masking: Masking,
) -> list[Mover]:
    """Each segment of ``tile``'s ``column``: its change from last week and its share of
    the change of the whole (none when the whole did not change)."""
    dim = tile.segments[0]
    pairs: dict[str, list[float]] = {}
    for (d, c, segment, w), v in values.items():
        if d == tile.dataset and c == column and segment and w in (week, week - WEEK):
            pairs.setdefault(segment, [0.0, 0.0])[0 if w == week else 1] += v
    total = sum(now - before for now, before in pairs.values())
    if not total:
        return []
    shown_field = tile.field_for(dim).label
    out = []
    for segment, (now, before) in pairs.items():
        raw = str(json.loads(segment).get(dim, ""))
        label_shown = _label(dim, raw, masking)
        if now != before and label_shown is not None:
            out.append(Mover(label, shown_field, label_shown, now, before, (now - before) / total))
    return out


def _label(dim: str, label: str, masking: Masking) -> str | None:
    """A segment label as alerts show it: masked, cut; a dropped column's: not shown."""
    rule = masking.columns.get(dim)
    if rule == "drop":
        return None
    return "***" if rule == "mask" else shown_label(label)


def calendar(quiet_weeks: Sequence[QuietWeek], week: date) -> list[str]:
    """The calendar effects known for ``week`` (the monitor's quiet weeks)."""
    n = week.isocalendar().week
    return [
        f"{q.name} week: a dip is expected (usage may fall to about "
        f"{readable.percent(q.floor)} of usual)"
        for q in quiet_weeks
        if n in q.iso_weeks
    ]


def canary_verdict(runs: Sequence[RunResult], watched: bool = True) -> str:
    """The canary instance's verdict of the week, in one sentence: its monitor's run (the
    monitor scoped to one instance) passed, failed or did not run; nothing when no monitor
    watches a canary instance (not ``watched``)."""
    scopes = {r.monitor: r.scope for r in runs if r.scope}
    watcher = week_facts(list(runs), scopes).canary
    if watcher is None:
        return "canary instance not checked this week" if watched else ""
    counts = next(r for r in runs if r.monitor == watcher).counts()
    if counts["failed"]:
        n = readable.counted(counts["failed"], "check")
        return f"pipeline broken: the canary instance's monitor ({watcher}) failed {n}"
    if counts["error"]:
        n = readable.counted(counts["error"], "check")
        return f"pipeline not fully checked: {n} of the canary instance's monitor could not run"
    return f"pipeline healthy: {mask_text(scopes[watcher])} reported normally"


def column_labels(tiles: Iterable[Tile]) -> dict[str, str]:
    """Column name -> its label on the dashboard, of the tiles' measures (not a column
    named as a dataset is: texts name datasets too)."""
    tiles = list(tiles)
    datasets = {t.dataset for t in tiles}
    return {
        f.column: f.label
        for t in tiles
        for f in t.fields
        if f.kind == "measure" and f.column not in datasets
    }


def labelled(text: str, labels: Mapping[str, str]) -> str:
    """``text`` (an incident's headline, a check's reason) with the dashboard's labels in
    place of the column names it names, as the report's table names them; a path or
    address in it is left as it is."""
    if not labels:
        return text
    names = "|".join(re.escape(c) for c in sorted(labels, key=len, reverse=True))

    def swap(m: re.Match[str]) -> str:
        return m.group() if m.group("path") else labels[m.group("name")]

    return re.sub(rf"(?P<path>\S*/\S*)|\b(?P<name>{names})\b", swap, text)


def health(
    run: RunResult,
    incidents: list[Incident],
    canary: str,
    threads: Mapping[str, Link],
    labels: Mapping[str, str],
) -> Health:
    """The run's checks passed of those judged (skipped ones are not), its open incidents
    (told with the dashboard's ``labels`` for column names) with their thread when posted,
    and the canary instance's verdict."""
    judged = [c for c in run.checks if c.status != "skipped"]
    told = [
        Told(
            labelled(mask_text(i.headline), labels),
            _class(i.class_),
            labelled(mask_text(i.class_evidence), labels),
            threads.get(fingerprint(run.monitor, i.id, bool(run.drill))),
        )
        for i in incidents
    ]
    return Health(sum(c.status == "passed" for c in judged), len(judged), told, canary)


def _class(value: str) -> Class:
    return "pipeline" if value == "pipeline" else "product" if value == "product" else "unclear"


def lede(run: RunResult, incidents: list[Incident], heads: list[Headline]) -> str:
    """The report's first line: a change in usage (a product incident, or a failed usage
    change check not put down to the pipeline) first, else the pipeline's incidents (the
    numbers are unreliable), else unexplained ones, else how many numbers are as expected."""
    changed = {c.id for c in run.checks if c.check == USAGE_CHANGE and c.status == "failed"}
    usage = [
        i
        for i in incidents
        if i.class_ == "product" or (i.class_ != "pipeline" and changed & set(i.check_ids))
    ]
    told = {c for i in incidents for c in i.check_ids}
    loose = [c for c in run.checks if c.id in changed and c.id not in told]
    if usage:
        return _about("Usage changed this week", usage)
    if loose:
        return f"Usage changed this week: {loose[0].reason}"
    for cls, lead in LEADS:
        mine = [i for i in incidents if _class(i.class_) == cls]
        if mine:
            return _about(lead, mine)
    judged = [h for h in heads if h.standing != "unknown"]
    outside = [h for h in judged if h.standing != "within"]
    if not judged:
        return "A week without incidents; no number has an expected range yet"
    if outside:
        names = ", ".join(f"{h.label} ({h.standing})" for h in outside)
        return f"{len(outside)} of {len(judged)} numbers outside their expected range: {names}"
    return f"A normal week: {len(judged)} of {len(judged)} numbers within their expected range"


def _about(lead: str, incidents: list[Incident]) -> str:
    more = f" (and {len(incidents) - 1} more)" if len(incidents) > 1 else ""
    return f"{lead}: {mask_text(incidents[0].headline)}{more}"
