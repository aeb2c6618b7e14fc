"""Who gets an alert: the channel (per monitor, overridden by routes) and who is mentioned."""

from __future__ import annotations

from collections.abc import Iterable
from fnmatch import fnmatchcase

from canary.alerts.policy import AlertPolicy
from canary.config import Config


def channel_for(
    config: Config, monitor: str, dataset: str, check: str, status: str, cls: str = "unclear"
) -> str:
    """The first matching route's channel, else the monitor's report channel for a product
    change (``cls`` ``product``, the monitor having a report), else its ``alerts.channel``."""
    for route in config.policy.routes.values():
        if (
            fnmatchcase(monitor, route.monitor)
            and fnmatchcase(dataset, route.dataset)
            and fnmatchcase(check, route.check)
            and route.status in (None, status)
        ):
            return route.channel
    return home_channel(config, monitor, cls)


def home_channel(config: Config, monitor: str, cls: str = "unclear") -> str:
    """Where ``monitor``'s incidents of class ``cls`` go when no route names them: product
    changes to the product team (the report's channel), the rest to the monitor's alerts."""
    report = config.monitors[monitor].report
    if cls == "product" and report is not None:
        return report.channel
    return config.monitors[monitor].alerts.channel


def channels(config: Config) -> list[str]:
    """Every channel the config may post to, in config order."""
    found = [m.alerts.channel for m in config.monitors.values()]
    found += [m.report.channel for m in config.monitors.values() if m.report is not None]
    found += [r.channel for r in config.policy.routes.values()]
    return list(dict.fromkeys(found))


def mention(owner: str) -> str:
    """Slack's markup for a user (U/W...) or user group (S...) id."""
    return f"<!subteam^{owner}>" if owner.startswith("S") else f"<@{owner}>"


def owners_of(policy: AlertPolicy, monitor: str, dataset: str) -> list[str]:
    """Owner ids whose key (a glob over ``dataset`` or ``monitor/dataset``) matches."""
    found: list[str] = []
    for pattern, ids in policy.owners.items():
        if fnmatchcase(dataset, pattern) or fnmatchcase(f"{monitor}/{dataset}", pattern):
            found += ids
    return list(dict.fromkeys(found))


def mentions(policy: AlertPolicy, found: Iterable[tuple[str, str, str]]) -> list[str]:
    """Who to ping for what was ``found`` (severity, monitor, dataset): per severity, the
    datasets' owners, @here or @channel."""
    out: list[str] = []
    for severity, monitor, dataset in found:
        for who in policy.ping.get(severity, []):  # type: ignore[call-overload]
            if who == "owners":
                out += [mention(o) for o in owners_of(policy, monitor, dataset)]
            else:
                out.append(f"<!{who}>")
    return list(dict.fromkeys(out))
