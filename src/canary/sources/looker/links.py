"""Links from a dataset back to its Looker tile, look or explore (pure), fit to show: no
``user:password@``, personal data in filter values masked."""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import quote, urlencode

from canary.sources.looker.tiles import TileQuery
from canary.url_secrets import safe_link


def dashboard_link(web_url: str, dashboard_id: str, filters: Mapping[str, str]) -> str:
    """The dashboard with the filter values canary used."""
    query = urlencode({k: v for k, v in filters.items() if v})
    url = f"{web_url}/dashboards/{quote(dashboard_id, safe='')}" + (f"?{query}" if query else "")
    return safe_link(url)


def look_link(web_url: str, look_id: str) -> str:
    return safe_link(f"{web_url}/looks/{quote(look_id, safe='')}")


def explore_link(web_url: str, query: TileQuery) -> str:
    """The explore showing exactly the query canary ran."""
    params: list[tuple[str, str]] = [("fields", ",".join(query.fields))]
    params += [(f"f[{name}]", value) for name, value in query.filters.items()]
    if query.sorts:
        params.append(("sorts", ",".join(query.sorts)))
    if query.limit:
        params.append(("limit", str(query.limit)))
    path = f"{quote(query.model, safe='')}/{quote(query.view, safe='')}"
    return safe_link(f"{web_url}/explore/{path}?{urlencode(params)}")
