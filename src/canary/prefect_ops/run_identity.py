"""What a flow run is called in the Prefect UI: ``<monitor> <week>``, drills marked and tagged."""

from __future__ import annotations

from datetime import date

from canary.report.drill import TAG, run_name


def name_flow_run(monitor: str, week: date, drill: str | None) -> str | None:
    """Rename the current flow run (and tag a drill ``drill``); returns the name given, or
    None outside a flow run."""
    from prefect.client.orchestration import get_client
    from prefect.context import FlowRunContext

    ctx = FlowRunContext.get()
    if ctx is None or ctx.flow_run is None:
        return None
    name = run_name(monitor, week, drill)
    tags = sorted(set(ctx.flow_run.tags) | ({TAG} if drill else set()))
    with get_client(sync_client=True) as client:
        client.update_flow_run(ctx.flow_run.id, name=name, tags=tags)
    return name
