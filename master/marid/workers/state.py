"""Per-worker runtime state, the builders each worker serves, and what the manager stores.

``WorkerRecord`` is everything the master knows about one configured worker
while it runs: its config, database id, connection, and the pause, graceful
and running-build bookkeeping. Its connection lifecycle is an explicit state
machine (``LinkState`` and ``TRANSITIONS``)::

    DISCONNECTED --login--> ATTACHING --attach done--> CONNECTED
         ^                      |                          |
         +------ lost ----------+---------- lost ----------+

``WorkerStore`` is the part of the data API the manager writes through;
``marid.data.connector.DataConnector`` provides it, and unit tests use a fake.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import Enum
from typing import Any, Protocol

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall

from marid.data.workers import WorkerController
from marid.workers.config import AbstractWorker
from marid.workers.connection import Connection


class LinkState(Enum):
    DISCONNECTED = "disconnected"
    ATTACHING = "attaching"
    CONNECTED = "connected"


TRANSITIONS: dict[LinkState, frozenset[LinkState]] = {
    LinkState.DISCONNECTED: frozenset({LinkState.ATTACHING}),
    LinkState.ATTACHING: frozenset({LinkState.CONNECTED, LinkState.DISCONNECTED}),
    LinkState.CONNECTED: frozenset({LinkState.DISCONNECTED}),
}


class IllegalTransition(RuntimeError):
    """A bug: the worker's state machine was asked for a move it does not have."""


@dataclass
class WorkerRecord:
    """One configured worker on this master."""

    name: str
    config: AbstractWorker
    workerid: int | None = None
    state: LinkState = LinkState.DISCONNECTED
    connection: Connection | None = None
    builders: list[tuple[str, str]] = field(default_factory=list)
    builderids: list[int] | None = None  # as last written to the database
    paused: bool = False
    pause_reason: str | None = None
    graceful: bool = False
    shutdown_sent: bool = False
    running_builds: int = 0
    last_connection: float | None = None
    missing_timer: IDelayedCall | None = None
    stored_connected: bool = False  # the database shows this worker connected to us
    login_lock: defer.DeferredLock = field(default_factory=defer.DeferredLock)
    store_lock: defer.DeferredLock = field(default_factory=defer.DeferredLock)
    waiters: list[defer.Deferred[Connection]] = field(default_factory=list)
    removed: bool = False

    def move_to(self, state: LinkState) -> None:
        if state not in TRANSITIONS[self.state]:
            raise IllegalTransition(f"worker {self.name}: {self.state.name} -> {state.name}")
        self.state = state

    @property
    def attached(self) -> Connection | None:
        """The connection, once the attach sequence has finished."""
        return self.connection if self.state is LinkState.CONNECTED else None

    @property
    def max_builds(self) -> int | None:
        value = self.config.max_builds
        return value if isinstance(value, int) else None

    def cancel_missing_timer(self) -> None:
        if self.missing_timer is not None and self.missing_timer.active():
            self.missing_timer.cancel()
        self.missing_timer = None


_UNSAFE = re.compile(r"[^\w.-]")


def safe_builddir(builder_name: str) -> str:
    """A builder name made into one safe path component (Buildbot's default builddir)."""
    name = _UNSAFE.sub("_", builder_name)
    return "_" + name if name in ("", ".", "..") else name


def _names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, list | tuple):
        return [name for name in value if isinstance(name, str)]
    return []


def builder_lists(builders: Iterable[Any]) -> dict[str, list[tuple[str, str]]]:
    """Worker name -> the ``(builder name, worker builddir)`` pairs it serves, in config order.

    Builders are duck-typed: ``name``, ``workernames`` (or ``workername``) and an
    optional ``workerbuilddir`` or ``builddir``.
    """
    lists: dict[str, list[tuple[str, str]]] = {}
    for builder in builders:
        name = getattr(builder, "name", None)
        if not isinstance(name, str):
            continue
        builddir = getattr(builder, "workerbuilddir", None) or getattr(builder, "builddir", None)
        if not isinstance(builddir, str) or not builddir:
            builddir = safe_builddir(name)
        workers = _names(getattr(builder, "workernames", None))
        workers += _names(getattr(builder, "workername", None))
        for worker in dict.fromkeys(workers):
            lists.setdefault(worker, []).append((name, builddir))
    return lists


class WorkerUpdates(Protocol):
    """``data.workers``: the worker updates of the data API, and its control hook."""

    controller: WorkerController | None

    async def find_worker_id(self, name: str) -> int: ...

    async def worker_configured(
        self, workerid: int, masterid: int, builderids: list[int]
    ) -> None: ...

    async def deconfigure_all_except(self, masterid: int, keep: list[int]) -> None: ...

    async def worker_connected(
        self, workerid: int, masterid: int, workerinfo: dict[str, Any]
    ) -> None: ...

    async def worker_disconnected(self, workerid: int, masterid: int) -> None: ...

    async def set_worker_state(
        self, workerid: int, *, paused: bool, graceful: bool, pause_reason: str | None = None
    ) -> None: ...

    async def worker_missing(
        self,
        workerid: int,
        masterid: int,
        name: str,
        notify: list[str],
        last_connection: int | None,
    ) -> None: ...

    async def worker_flags(self, workerid: int) -> tuple[bool, str | None, bool]: ...


class BuilderIds(Protocol):
    """``data.builders``: only the id lookup."""

    async def find_builder_id(self, name: str) -> int: ...


class WorkerStore(Protocol):
    """What the manager needs of the data API."""

    @property
    def workers(self) -> WorkerUpdates: ...

    @property
    def builders(self) -> BuilderIds: ...
