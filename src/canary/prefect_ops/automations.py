"""The dead-man's switch: notify when a monitor's deployment has not completed a run lately.

One Prefect automation per deployment, with a proactive trigger: it fires when no
``prefect.flow-run.Completed`` event related to that deployment arrived within the window.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from uuid import UUID

FLOW_NAME = "weekly-canary"
WINDOW = timedelta(days=8)


def automation_name(deployment: str) -> str:
    return f"canary dead-man's switch: {deployment}"


def dead_mans_switch(
    deployment: str, deployment_id: UUID, block_document_id: UUID, within: timedelta = WINDOW
) -> object:
    """The automation (a ``prefect.automations.AutomationCore``) for one deployment."""
    from prefect.automations import AutomationCore
    from prefect.events.actions import SendNotification
    from prefect.events.schemas.automations import EventTrigger, Posture

    days = within.total_seconds() / 86400
    return AutomationCore(
        name=automation_name(deployment),
        description=f"canary: {deployment} has not completed a run in {days:g} days",
        enabled=True,
        trigger=EventTrigger(
            match_related={
                "prefect.resource.id": f"prefect.deployment.{deployment_id}",
                "prefect.resource.role": "deployment",
            },
            expect={"prefect.flow-run.Completed"},
            posture=Posture.Proactive,
            threshold=1,
            within=within,
        ),
        actions=[
            SendNotification(
                block_document_id=block_document_id,
                subject=f"canary: {deployment} is silent",
                body=(
                    f"The canary deployment {FLOW_NAME}/{deployment} has not completed a run "
                    f"in {days:g} days: the weekly checks are not running. Check its work "
                    "pool, workers and recent flow runs."
                ),
            )
        ],
    )


@dataclass(frozen=True)
class Installed:
    deployment: str
    automation_id: UUID
    replaced: int


async def install(
    deployments: list[str], block_document_id: UUID, within: timedelta = WINDOW
) -> list[Installed]:
    """Create (or replace, by name) the dead-man's switch of each deployment."""
    from prefect.client.orchestration import get_client

    out: list[Installed] = []
    async with get_client() as client:
        for name in deployments:
            deployment = await client.read_deployment_by_name(f"{FLOW_NAME}/{name}")
            old = await client.read_automations_by_name(automation_name(name))
            for automation in old:
                await client.delete_automation(automation.id)
            core = dead_mans_switch(name, deployment.id, block_document_id, within)
            new_id = await client.create_automation(core)  # type: ignore[arg-type]
            out.append(Installed(name, new_id, len(old)))
    return out
