"""Who holds outbox claims, and the heartbeat that keeps them while deliveries are under way."""

from __future__ import annotations

import logging
import os
import socket
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from canary.alerts.outbox import records

log = logging.getLogger(__name__)


def holder_name(label: str = "canary run") -> str:
    """A name for this delivery that people can trace: what, where, which process.

    The short random tag tells apart two deliveries of one process.
    """
    return f"{label} on {socket.gethostname()} pid {os.getpid()} [{uuid.uuid4().hex[:6]}]"


@contextmanager
def heartbeat(
    engine: Engine, holder: str, lease: float, clock: Callable[[], float]
) -> Iterator[None]:
    """Renew ``holder``'s claims every third of ``lease`` until the block ends.

    A failed renewal is logged and tried again at the next beat; if it keeps failing, the
    lease runs out and another run treats the attempt as of unknown outcome (looked up
    before any resend), which is safe.
    """
    stop = threading.Event()

    def beat() -> None:
        while not stop.wait(lease / 3):
            try:
                records.renew(engine, holder, clock() + lease)
            except SQLAlchemyError as exc:
                log.warning("outbox lease not renewed (%s); retrying", type(exc).__name__)

    thread = threading.Thread(target=beat, name="outbox-heartbeat", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join()
