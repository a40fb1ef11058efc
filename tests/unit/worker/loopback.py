"""An in-memory PB master for worker tests: a realm, a portal, and a loopback endpoint.

:class:`FakeMaster` accepts logins (MD5 challenge/response through a real
``pb.PBServerFactory``), records the bots that log in, their keepalives and
shutdown requests. :class:`LoopbackEndpoint` is the worker's client endpoint:
each ``connect`` joins the client to a fresh server broker with ``iosim``, and
:meth:`LoopbackEndpoint.flush` moves the bytes until both sides are quiet.
Nothing touches a socket or the global reactor.

Recording doubles of the master-side objects a command talks to:
:class:`CommandRef` (``update``/``complete``), :class:`Writer`, :class:`Reader`.
"""

from __future__ import annotations

from typing import Any

from twisted.cred.checkers import InMemoryUsernamePasswordDatabaseDontUse
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer
from twisted.internet.error import ConnectionRefusedError
from twisted.internet.interfaces import IStreamClientEndpoint
from twisted.internet.task import Clock
from twisted.spread import pb
from twisted.test import iosim
from zope.interface import implementer


class MasterPerspective(pb.Avatar):
    def __init__(self, master: FakeMaster, name: str, mind: Any):
        self.master = master
        self.name = name
        self.mind = mind

    def perspective_keepalive(self) -> Any:
        self.master.keepalives.append(self.master.clock.seconds())
        return self.master.keepalive_answer()

    def perspective_shutdown(self) -> None:
        self.master.shutdown_requests += 1


@implementer(IRealm)
class FakeMaster:
    """A master that only logs workers in and remembers what they did."""

    def __init__(self, clock: Clock, users: dict[str, str] | None = None):
        self.clock = clock
        users = users or {"w1": "pass"}
        checker = InMemoryUsernamePasswordDatabaseDontUse(
            **{name: password.encode() for name, password in users.items()}
        )
        self.portal = Portal(self, [checker])
        self.minds: list[Any] = []
        self.keepalives: list[float] = []
        self.shutdown_requests = 0
        self.logouts = 0
        self.keepalive_answer: Any = lambda: None

    def requestAvatar(self, avatar_id: Any, mind: Any, *interfaces: Any) -> Any:
        self.minds.append(mind)
        perspective = MasterPerspective(self, avatar_id.decode(), mind)

        def logout() -> None:
            self.logouts += 1

        return pb.IPerspective, perspective, logout

    @property
    def bot(self) -> Any:
        return self.minds[-1]

    def factory(self) -> pb.PBServerFactory:
        return pb.PBServerFactory(self.portal)


class ClientTransport(iosim.FakeTransport):
    """iosim's transport, remembering SO_KEEPALIVE as a TCP transport would."""

    keepalive = False

    def setTcpKeepAlive(self, enabled: Any) -> None:
        self.keepalive = bool(enabled)

    def getTcpKeepAlive(self) -> bool:
        return self.keepalive


@implementer(IStreamClientEndpoint)
class LoopbackEndpoint:
    """Connects the worker to ``master`` in memory; refuses when ``master`` is None."""

    def __init__(self, clock: Clock, master: FakeMaster | None):
        self.clock = clock
        self.master = master
        self.attempts = 0
        self.pumps: list[iosim.IOPump] = []

    def connect(self, factory: Any) -> defer.Deferred[Any]:
        self.attempts += 1
        if self.master is None:
            return defer.fail(ConnectionRefusedError("no master listening"))
        client = factory.buildProtocol(iosim.FakeAddress())
        server = self.master.factory().buildProtocol(iosim.FakeAddress())
        pump = iosim.connect(
            server,
            iosim.makeFakeServer(server),
            client,
            ClientTransport(client, isServer=False),
            greet=False,
            clock=self.clock,
        )
        self.pumps.append(pump)
        return defer.succeed(client)

    def flush(self) -> None:
        """Deliver everything in flight, in both directions, until nothing moves."""
        for _ in range(1000):
            if not any(pump.flush() for pump in self.pumps):
                return
        raise AssertionError("the loopback connection never went quiet")

    def drop(self) -> None:
        """The master goes away: every connection is closed from the server side."""
        for pump in self.pumps:
            pump.server.transport.loseConnection()
        self.flush()
        self.pumps.clear()

    @property
    def client_transport(self) -> Any:
        return self.pumps[-1].clientIO


def result_of(deferred: defer.Deferred[Any]) -> Any:
    """The result of a Deferred that has already fired (raises its failure)."""
    results: list[Any] = []
    deferred.addBoth(results.append)
    assert results, "the Deferred has not fired"
    if isinstance(results[0], Exception):
        raise results[0]
    failure = results[0]
    if isinstance(failure, pb.CopiedFailure):  # an error raised on the other side
        raise pb.RemoteError(failure.type, failure.value, failure.traceback)
    if hasattr(failure, "raiseException"):
        failure.raiseException()
    return failure


class CommandRef(pb.Referenceable):
    """The master's side of one remote command: records updates and completion."""

    def __init__(self) -> None:
        self.updates: list[tuple[str, Any]] = []
        self.completed: list[Any] = []

    def remote_update(self, updates: list[Any]) -> int:
        for update, _ in updates:
            for key, value in update.items():
                self.updates.append((key, value))
        return 0

    def remote_complete(self, failure: Any = None) -> None:
        self.completed.append(failure)

    # Also usable without PB, as a plain RemoteRef.
    def callRemote(self, name: str, *args: Any) -> defer.Deferred[Any]:
        return defer.maybeDeferred(getattr(self, f"remote_{name}"), *args)

    def notifyOnDisconnect(self, callback: Any) -> None:
        pass

    def values(self, key: str) -> list[Any]:
        return [value for name, value in self.updates if name == key]

    def text(self, key: str) -> str:
        return "".join(self.values(key))

    @property
    def keys(self) -> list[str]:
        return [name for name, _ in self.updates]


class Writer(pb.Referenceable):
    """A master-side file writer: collects the bytes, records close/utime/unpack."""

    def __init__(self) -> None:
        self.data = b""
        self.calls: list[str] = []
        self.utimes: list[Any] = []

    def remote_write(self, data: bytes) -> None:
        self.calls.append("write")
        self.data += data

    def remote_close(self) -> None:
        self.calls.append("close")

    def remote_utime(self, times: Any) -> None:
        self.calls.append("utime")
        self.utimes.append(tuple(times))

    def remote_unpack(self) -> None:
        self.calls.append("unpack")


class Reader(pb.Referenceable):
    """A master-side file reader over ``data``; records each read size."""

    def __init__(self, data: bytes):
        self.data = data
        self.reads: list[int] = []
        self.closed = False

    def remote_read(self, size: int) -> bytes:
        self.reads.append(size)
        chunk, self.data = self.data[:size], self.data[size:]
        return chunk

    def remote_close(self) -> None:
        self.closed = True


class AttachedWorker:
    """A worker's Bot logged in to a :class:`FakeMaster` over a loopback connection."""

    def __init__(self, basedir: Any, **bot_options: Any):
        from twisted.internet.testing import MemoryReactorClock

        from marid_worker.bot import Bot
        from marid_worker.connection import Connector

        self.basedir = basedir
        self.clock = MemoryReactorClock()
        self.master = FakeMaster(self.clock)
        self.endpoint = LoopbackEndpoint(self.clock, self.master)
        self.shutdowns = 0
        self.bot = Bot(basedir, self.clock, on_shutdown=self._shutdown, **bot_options)
        self.connector = Connector(self.clock, self.endpoint, "w1", "pass", self.bot)
        self.connector.start()
        self.endpoint.flush()
        assert self.master.minds, "the worker did not log in"

    def _shutdown(self) -> None:
        self.shutdowns += 1

    def call(self, ref: Any, name: str, *args: Any, **kwargs: Any) -> Any:
        """Call ``name`` on a remote worker object as the master does, and return the answer."""
        answer = ref.callRemote(name, *args, **kwargs)
        self.endpoint.flush()
        return result_of(answer)

    def call_bot(self, name: str, *args: Any, **kwargs: Any) -> Any:
        return self.call(self.master.bot, name, *args, **kwargs)

    def builders(self, *names: str) -> dict[str, Any]:
        return self.call_bot("setBuilderList", [(name, name) for name in names])  # type: ignore[no-any-return]

    def run(
        self, builder: Any, command: str, args: dict[str, Any], command_id: str = "1"
    ) -> CommandRef:
        """Start ``command`` on ``builder`` and move time and bytes until it completes."""
        ref = CommandRef()
        self.call(builder, "startCommand", ref, command_id, command, args)
        for _ in range(1000):
            if ref.completed:
                return ref
            self.clock.advance(0.1)
            self.endpoint.flush()
        raise AssertionError(f"{command} never completed; updates: {ref.updates}")
