"""Links from a dataset back to its Looker tile, look or explore (pure)."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from canary.sources.looker.tiles import TileQuery


def dashboard_link(web_url: str, dashboard_id: str, filters: Mapping[str, str]) -> str:
    """The dashboard with the filter values canary used."""
    query = urlencode({k: v for k, v in filters.items() if v})
    return f"{web_url}/dashboards/{quote(dashboard_id, safe='')}" + (f"?{query}" if query else "")


def look_link(web_url: str, look_id: str) -> str:
    return f"{web_url}/looks/{quote(look_id, safe='')}"


def explore_link(web_url: str, query: TileQuery) -> str:
    """The explore showing exactly the query canary ran."""
    params: list[tuple[str, str]] = [("fields", ",".join(query.fields))]
    params += [(f"f[{name}]", value) for name, value in query.filters.items()]
    if query.sorts:
        params.append(("sorts", ",".join(query.sorts)))
    if query.limit:
        params.append(("limit", str(query.limit)))
    path = f"{quote(query.model, safe='')}/{quote(query.view, safe='')}"
    return f"{web_url}/explore/{path}?{urlencode(params)}"
