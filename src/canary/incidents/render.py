"""Incidents as markdown, for the run's summary artifact and any markdown channel."""

from __future__ import annotations

from canary.incidents.model import Incident

LIMIT = 10


def _line(n: int, incident: Incident) -> str:
    cause = (
        f"**{incident.cause}** ({incident.confidence:.0%})" if incident.cause else "**unexplained**"
    )
    checks = len(incident.check_ids)
    headline = incident.headline.replace("|", "\\|")
    line = (
        f"{n}. {cause}, {incident.class_}, since {incident.first_failed_week}, "
        f"{checks} check{'s' if checks != 1 else ''}: {headline}"
    )
    if incident.class_evidence:
        why = incident.class_evidence.replace("|", "\\|")
        line += f"\n   *{incident.class_}:* {why}"
    return line


def incidents_markdown(incidents: list[Incident], limit: int = LIMIT) -> str:
    """An "Incidents" section, most severe first; empty text when there is none."""
    if not incidents:
        return ""
    lines = ["## Incidents", ""]
    lines += [_line(n, i) for n, i in enumerate(incidents[:limit], start=1)]
    if len(incidents) > limit:
        lines.append(f"\nand {len(incidents) - limit} more in the JSON result.")
    return "\n".join(lines) + "\n"
