"""What a delivery left undelivered, and why: one summary for the console, the Prefect
summary artifact and the ``canary.delivery.pending`` event (pure)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from canary.alerts.deliver import DeliveryReport

#: Said of deliveries left waiting when nothing else explains it.
BEHIND = "waiting behind earlier messages of their channel or thread"


@dataclass(frozen=True)
class Undelivered:
    """``pending``: open outbox entries (every monitor's), sent by the next run; ``reasons``:
    why they wait; ``given_up``: deliveries of this run not sent and never to be;
    ``kept_for_slack``: entries queued for Slack that a fallback to files left queued, and
    ``missing``: which Slack secrets did not resolve (where they were looked for)."""

    transport: str
    pending: int = 0
    by_status: dict[str, int] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)
    given_up: list[str] = field(default_factory=list)
    kept_for_slack: int = 0
    missing: list[str] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(self.pending or self.given_up)

    def headline(self) -> str:
        parts = []
        if self.pending:
            parts.append(f"{self.pending} waiting in the outbox for the next run")
        if self.kept_for_slack:
            parts.append(
                f"{self.kept_for_slack} of them kept for Slack, whose credentials are missing "
                f"here ({'; '.join(self.missing)})"
            )
        if self.given_up:
            parts.append(f"{len(self.given_up)} not to be sent")
        return f"alerts not delivered via {self.transport}: " + ", ".join(parts)

    def markdown(self) -> str:
        """A section for the run's summary artifact."""
        lines = ["## Alerts not delivered", "", self.headline() + "."]
        if self.reasons:
            lines += ["", "Why they wait:", *(f"- {r}" for r in self.reasons)]
        if self.given_up:
            lines += ["", "Not to be sent:", *(f"- {g}" for g in self.given_up)]
        return "\n".join(lines) + "\n"

    def payload(self) -> dict[str, Any]:
        """The event's payload (JSON-ready)."""
        return {
            "transport": self.transport,
            "pending": self.pending,
            "by_status": dict(self.by_status),
            "reasons": list(self.reasons),
            "given_up": list(self.given_up),
            "kept_for_slack": self.kept_for_slack,
            "missing": list(self.missing),
        }


def undelivered(report: DeliveryReport) -> Undelivered:
    """The undelivered part of ``report``."""
    pending = sum(report.open.values())
    reasons = list(report.problems)
    if report.kept_for_slack:
        reasons.append(
            f"{report.kept_for_slack} queued for Slack stay queued for it: set the Slack secret "
            "to send them, or `slack.delivery: file` to move them to the file outbox"
        )
    given_up: list[str] = []
    if report.rerouted is not None:
        given_up += [f"not carried over: {d}" for d in report.rerouted.dropped]
        given_up += report.rerouted.unverifiable
    flushed = report.flushed
    if flushed is not None:
        reasons += [f"held: {h.line()}" for h in flushed.held] + flushed.errors
        given_up += [f"rejected: {f}" for f in flushed.failed]
        given_up += [f"{u}: outcome unknown, not re-sent" for u in flushed.unverifiable]
        given_up += [f"not sent: {d}" for d in flushed.dropped]
    if pending and not reasons:
        reasons.append(BEHIND)
    return Undelivered(
        report.transport,
        pending,
        dict(report.open),
        reasons,
        given_up,
        report.kept_for_slack,
        list(report.unresolved),
    )
