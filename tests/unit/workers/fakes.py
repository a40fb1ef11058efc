"""Fakes for the worker manager's unit tests: a recording data store and a scriptable Bot.

``FakeStore`` stands in for the data API (``WorkerStore``): every update is
recorded in ``calls`` as ``(method, args...)`` and completes at once, so a
test driven by ``task.Clock`` and ``iosim`` runs without threads.
``FakeBot`` is the worker's side of PB: it answers ``print``,
``getWorkerInfo``, ``setBuilderList`` and ``shutdown`` like buildbot-worker,
and can be told to stop answering ``print`` (a hung worker).
"""

from __future__ import annotations

from typing import Any

from twisted.cred.credentials import UsernamePassword
from twisted.internet import defer, task
from twisted.internet.address import IPv4Address
from twisted.spread import pb
from twisted.test import iosim

from marid.data.workers import WorkerController


class FakeWorkerUpdates:
    def __init__(self, calls: list[tuple[Any, ...]]) -> None:
        self.calls = calls
        self.controller: WorkerController | None = None
        self.ids: dict[str, int] = {}
        self.flags: dict[int, tuple[bool, str | None, bool]] = {}

    async def find_worker_id(self, name: str) -> int:
        return self.ids.setdefault(name, len(self.ids) + 1)

    async def worker_configured(self, workerid: int, masterid: int, builderids: list[int]) -> None:
        self.calls.append(("worker_configured", workerid, masterid, builderids))

    async def deconfigure_all_except(self, masterid: int, keep: list[int]) -> None:
        self.calls.append(("deconfigure_all_except", masterid, sorted(keep)))

    async def worker_connected(
        self, workerid: int, masterid: int, workerinfo: dict[str, Any]
    ) -> None:
        self.calls.append(("worker_connected", workerid, masterid, workerinfo))

    async def worker_disconnected(self, workerid: int, masterid: int) -> None:
        self.calls.append(("worker_disconnected", workerid, masterid))

    async def set_worker_state(
        self, workerid: int, *, paused: bool, graceful: bool, pause_reason: str | None = None
    ) -> None:
        self.flags[workerid] = (paused, pause_reason, graceful)
        self.calls.append(("set_worker_state", workerid, paused, graceful, pause_reason))

    async def worker_missing(
        self,
        workerid: int,
        masterid: int,
        name: str,
        notify: list[str],
        last_connection: int | None,
    ) -> None:
        self.calls.append(("worker_missing", workerid, masterid, name, notify, last_connection))

    async def worker_flags(self, workerid: int) -> tuple[bool, str | None, bool]:
        return self.flags.get(workerid, (False, None, False))


class FakeBuilderIds:
    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    async def find_builder_id(self, name: str) -> int:
        return self.ids.setdefault(name, len(self.ids) + 1)


class FakeStore:
    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.workers = FakeWorkerUpdates(self.calls)
        self.builders = FakeBuilderIds()

    def named(self, method: str) -> list[tuple[Any, ...]]:
        return [call for call in self.calls if call[0] == method]


class FakeWorkerForBuilder(pb.Referenceable):
    def __init__(self, name: str) -> None:
        self.name = name
        self.commands: list[tuple[Any, ...]] = []

    def remote_startBuild(self) -> None:
        pass

    def remote_startCommand(self, command_ref: Any, command_id: str, name: str, args: Any) -> None:
        self.commands.append((command_id, name, args))

    def remote_interruptCommand(self, command_id: str, why: str) -> None:
        self.commands.append(("interrupt", command_id, why))


class FakeBot(pb.Referenceable):
    """The worker's Bot: records every ``print`` and can play dead."""

    def __init__(self, info: dict[str, Any] | None = None) -> None:
        self.messages: list[str] = []
        self.info = info or {"admin": "me", "host": "box", "version": "4.3.0", "environ": {}}
        self.builders: dict[str, FakeWorkerForBuilder] = {}
        self.builder_lists: list[list[tuple[str, str]]] = []
        self.hung = False
        self.shutdowns = 0

    def remote_print(self, message: str) -> defer.Deferred[None] | None:
        if self.hung:
            return defer.Deferred()  # never answers
        self.messages.append(message)
        return None

    def remote_getWorkerInfo(self) -> dict[str, Any]:
        return self.info

    def remote_setBuilderList(self, wanted: list[Any]) -> dict[str, FakeWorkerForBuilder]:
        pairs = [(str(name), str(builddir)) for name, builddir in wanted]
        self.builder_lists.append(pairs)
        self.builders = {
            name: self.builders.get(name) or FakeWorkerForBuilder(name) for name, _ in pairs
        }
        return dict(self.builders)

    def remote_shutdown(self) -> None:
        self.shutdowns += 1


def flush(*clients: WorkerClient) -> None:
    """Pump every client's connection until none has anything left to move."""
    while any([client.pump.flush() for client in clients]):
        pass


class WorkerClient:
    """One worker connected to a server factory through ``iosim``, from a given peer address."""

    def __init__(
        self,
        server_factory: Any,
        clock: task.Clock,
        *,
        host: str = "127.0.0.7",
        port: int = 40001,
        factory: pb.PBClientFactory | None = None,
    ) -> None:
        self.factory = factory or pb.PBClientFactory()
        self.server = server_factory.buildProtocol(IPv4Address("TCP", host, port))
        self.client = self.factory.buildProtocol(IPv4Address("TCP", "127.0.0.1", 9989))
        self.server_transport = iosim.FakeTransport(
            self.server, isServer=True, peerAddress=IPv4Address("TCP", host, port)
        )
        self.client_transport = iosim.FakeTransport(self.client, isServer=False)
        self.pump = iosim.connect(
            self.server, self.server_transport, self.client, self.client_transport, clock=clock
        )
        self.result: list[Any] = []

    def login(self, name: str, password: str, bot: Any) -> None:
        d = self.factory.login(UsernamePassword(name.encode(), password.encode()), client=bot)
        d.addBoth(self.result.append)
        self.pump.flush()

    @property
    def perspective(self) -> Any:
        assert self.result and not isinstance(self.result[0], Exception), self.result
        return self.result[0]

    @property
    def connected(self) -> bool:
        return not self.server_transport.disconnected

    def disconnect(self) -> None:
        self.client_transport.loseConnection()
        self.pump.flush()
