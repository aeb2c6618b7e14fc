"""``canary doctor`` on a files source: per dataset, the files its path matches, whether they
read as the tile's export (columns, keys), and the rows of the latest complete week."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from canary.dashboards import Dashboard, Tile
from canary.doctor.base import Context, Finding, failure
from canary.errors import CanaryError
from canary.readable import counted
from canary.sources.files import FilesSource, build
from canary.sources.files_config import FilesSourceConfig
from canary.sources.registry import BuildContext
from canary.weeks import latest_complete_week


def _tiles(ctx: Context, name: str) -> dict[str, Tile]:
    """Dataset -> the tile a monitor of source ``name`` checks it as."""
    out: dict[str, Tile] = {}
    for monitor in ctx.config.monitors.values():
        board = ctx.config.catalog.dashboards[monitor.dashboard]
        for dataset in (d for d in monitor.datasets if monitor.source_for(d) == name):
            out.setdefault(dataset, board.tile(dataset))
    return out


def check(ctx: Context, name: str, cfg: FilesSourceConfig) -> Iterator[Finding]:
    """One finding per dataset of the source: its files, their columns and latest week."""
    try:
        source = build(
            name,
            cfg,
            BuildContext(
                Dashboard(name, name, ()),
                ctx.config_dir,
                ctx.config.data_dir,
                ctx.environ,
                ctx.config.catalog.views,
            ),
        )
    except CanaryError as exc:
        yield failure(f"{name}: files", exc)
        return
    tiles = _tiles(ctx, name)
    week = latest_complete_week(ctx.now, cfg.complete_after)
    for dataset, spec in cfg.datasets.items():
        check = f"{name}: {dataset}"
        tile = tiles.get(dataset)
        if tile is None:
            yield Finding(check, "warn", f"{spec.path}: no monitor checks this dataset")
            continue
        try:
            yield _dataset(source, check, tile, spec.path, week)
        except CanaryError as exc:
            yield failure(check, exc)


def _dataset(source: FilesSource, check: str, tile: Tile, path: str, week: date) -> Finding:
    _, paths = source.paths(tile.dataset)
    present = source.columns(tile)
    missing = [c for c in tile.dtypes if c not in present]
    found = f"{path}: {counted(len(paths), 'file')}, {counted(len(present), 'column')}"
    needed = [c for c in (tile.time_column, *tile.row_key) if c in missing]
    if needed:
        return Finding(
            check,
            "fail",
            f"{found}; no column {', '.join(dict.fromkeys(needed))}: a row without its week "
            "or key belongs to no week or instance",
        )
    rows, latest = source.week_rows(tile, week)
    lacking = f"; missing {', '.join(missing)} (their checks fail)" if missing else ""
    if rows:
        return Finding(
            check, "warn" if missing else "ok", f"{found}; {rows:,} rows in week {week}{lacking}"
        )
    if latest is None:
        return Finding(check, "warn", f"{found}; the export has no rows{lacking}")
    if latest.weekday():
        return Finding(
            check,
            "fail",
            f"{found}; its latest week is {latest} (a {latest:%A}), but canary names a week "
            f"by the Monday it starts: write column {tile.time_column} as that date",
        )
    return Finding(
        check,
        "warn",
        f"{found}; 0 rows in week {week}, its latest week is {latest} (is the export up to "
        f"date?){lacking}",
    )
