"""Channel kinds by name, as config reads them: ``notify:`` entries are validated as the
model their ``kind`` names (without one, a Prefect notification block). The config schema
is rebuilt whenever a kind is added; ``canary.alerts.channels.registry`` adds a kind with
the function that opens its channel."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Union, get_args

from pydantic import Field

from canary.alerts.channels.config import ChannelConfig
from canary.alerts.channels.prefect.config import PrefectNotifyChannel

#: The kind of a ``notify:`` entry that names none.
DEFAULT_KIND = "prefect"

KINDS: dict[str, type[ChannelConfig]] = {}
_listeners: list[Callable[[], None]] = []


def kind_of(model: type[ChannelConfig]) -> str:
    """The name a model's ``kind`` literal gives it."""
    names = get_args(model.model_fields["kind"].annotation)
    if len(names) != 1 or not isinstance(names[0], str):
        raise TypeError(f"{model.__name__}.kind must be a one-value literal, e.g. Literal['x']")
    return names[0]


def add(model: type[ChannelConfig]) -> str:
    """Make ``model``'s kind one ``notify:`` entries may name; returns the kind."""
    kind = kind_of(model)
    KINDS[kind] = model
    _changed()
    return kind


def drop(kind: str) -> None:
    """Forget the channel kind ``kind``."""
    del KINDS[kind]
    _changed()


def _changed() -> None:
    for listener in _listeners:
        listener()


def on_change(listener: Callable[[], None]) -> None:
    """Call ``listener`` whenever a kind is added or dropped (the schema rebuilds)."""
    _listeners.append(listener)


def channel_type() -> Any:
    """The type of a ``notify:`` entry: one of the registered models, by ``kind``."""
    models = tuple(KINDS.values())
    if len(models) == 1:
        return models[0]
    return Annotated[Union[models], Field(discriminator="kind")]  # noqa: UP007


add(PrefectNotifyChannel)
