"""A new alert channel is one class and one config model, registered where it is written:
``notify:`` entries of its kind are validated as its model, a canary run queues its
messages in the outbox and the channel sends them, none lost, none twice."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import pytest

from canary.alerts.channels import registry
from canary.alerts.channels.config import ChannelConfig
from canary.alerts.outbox import records
from canary.alerts.outbox.records import NOTIFY, Entry
from canary.alerts.outbox.sending import DeliveryError, Sent
from canary.alerts.render.payload import notification
from canary.cli import main
from canary.config import load_config
from canary.errors import ConfigError
from canary.store.db import Store
from tests.conftest import AS_OF, write_config

pytestmark = pytest.mark.integration


@dataclass
class Room:
    """Where the in-process channel puts what it is sent; ``refuse``: errors its next
    sends raise instead (one each)."""

    messages: dict[str, tuple[str, str]] = field(default_factory=dict)
    refuse: list[DeliveryError] = field(default_factory=list)
    sends: int = 0


ROOMS: dict[str, Room] = {}
ALL = "code-insights-all-instances"


class RoomChannel:
    """An alert channel kept in this process, the way a mock transport stands in for HTTP."""

    name = NOTIFY
    verifiable = True

    def __init__(self, room: Room) -> None:
        self.room = room

    def send(self, entry: Entry, parent: Entry | None) -> Sent:
        self.room.sends += 1
        if self.room.refuse:
            raise self.room.refuse.pop(0)
        self.room.messages[entry.key] = notification(entry.payload)
        return entry.channel, entry.key

    def find(self, entry: Entry, parent: Entry | None) -> Sent | None:
        return (entry.channel, entry.key) if entry.key in self.room.messages else None


class RoomConfig(ChannelConfig):
    """A room of the in-process channel."""

    kind: Literal["room"] = "room"
    room: str


def open_room(settings: ChannelConfig, name: str, environ: Mapping[str, str]) -> RoomChannel:
    """The in-process channel of the room ``settings`` names."""
    assert isinstance(settings, RoomConfig)
    return RoomChannel(ROOMS.setdefault(settings.room, Room()))


@pytest.fixture
def room(monkeypatch: pytest.MonkeyPatch) -> Iterator[Room]:
    monkeypatch.delenv("SLACK_BOT_TOKEN", raising=False)
    registry.register(RoomConfig, open_room)
    ROOMS.clear()
    yield ROOMS.setdefault("ops", Room())
    registry.unregister("room")


def _config(tmp_path: Path, **entry: object) -> Path:
    team = {"kind": "room", "room": "ops", "monitors": [ALL], **entry}
    notify = {"team": {**team, "severities": ["critical", "warning", "info"]}}
    return write_config(tmp_path, notify=notify)


def _drill(config: Path) -> int:
    args = ["--as-of", str(AS_OF), "--scenario", "object-null", "--deliver", "--quiet"]
    return main(["run", "--config", str(config), *args])


def test_a_registered_kind_is_validated_as_its_model(room: Room, tmp_path: Path) -> None:
    config = load_config(_config(tmp_path), environ={})
    assert isinstance(config.notify["team"], RoomConfig)
    with pytest.raises(ConfigError, match=r"notify\.team\.rooms: unknown key 'rooms' \(did you"):
        load_config(_config(tmp_path, rooms="x"), environ={})
    with pytest.raises(
        ConfigError, match=r"notify\.team\.kind: unknown kind 'pager'; allowed: prefect, room"
    ):
        load_config(write_config(tmp_path, notify={"team": {"kind": "pager"}}), environ={})
    # a block without a kind is still a Prefect notification block
    plain = write_config(tmp_path, notify={"ops": {"block": "custom-webhook/ops"}})
    assert load_config(plain, environ={}).notify["ops"].kind == "prefect"


def test_a_canary_run_delivers_through_the_new_channel_once(room: Room, tmp_path: Path) -> None:
    config = _config(tmp_path)
    # the channel is down: the run's message waits in the outbox
    room.refuse.append(DeliveryError("notify team: the room is closed", "channel"))
    _drill(config)
    assert room.messages == {}
    store = Store(load_config(config, environ={}).store_url({}))
    (entry,) = [e for e in records.entries(store.engine) if e.transport == NOTIFY]
    assert (entry.channel, entry.status, entry.attempts) == ("team", "pending", 1)
    # the next run sends it; an outcome that is unknown is looked up, never sent twice
    room.refuse.append(DeliveryError("notify team: connection dropped", "all", unknown=True))
    _drill(config)
    [(subject, body)] = list(room.messages.values())
    assert room.sends == 3 and "object-null" in body and "week" in subject
    _drill(config)
    assert room.sends == 3 and len(room.messages) == 1
    statuses = [e.status for e in records.entries(store.engine) if e.transport == NOTIFY]
    assert statuses == ["delivered"]
