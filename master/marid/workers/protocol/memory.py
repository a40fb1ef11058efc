"""An in-memory transport pair: two protocols talking without a socket, driven by a clock.

Local workers log in to the master's own PB factory through this pair. Bytes
written on one side reach the other side's ``dataReceived`` on a later turn of
the injected reactor (``callLater(0)``), never re-entrantly, so the ordering
matches a real connection and tests can drive it with ``task.Clock``.
``loseConnection`` delivers what is already written and then closes both
sides; ``abortConnection`` closes both at once and drops anything unsent.
"""

from __future__ import annotations

from typing import Any

from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IAddress, IDelayedCall, IReactorTime, ITransport
from twisted.python.failure import Failure
from zope.interface import implementer


@implementer(IAddress)
class LocalAddress:
    """The address of an in-process peer."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __str__(self) -> str:
        return f"in-process:{self.name}"

    def __repr__(self) -> str:
        return f"LocalAddress({self.name!r})"


@implementer(ITransport)
class MemoryTransport:
    """One end of an in-memory connection; ``peer_transport`` is the other end."""

    def __init__(self, clock: IReactorTime, protocol: Any, address: LocalAddress) -> None:
        self.clock = clock
        self.protocol = protocol
        self.address = address
        self.peer_transport: MemoryTransport | None = None
        self.disconnecting = False
        self.disconnected = False
        self.producer: Any = None
        self._outgoing: list[bytes] = []
        self._flush_call: IDelayedCall | None = None

    # -- ITransport ----------------------------------------------------------------

    def write(self, data: bytes) -> None:
        if self.disconnecting or self.disconnected or not data:
            return
        self._outgoing.append(bytes(data))
        self._schedule()

    def writeSequence(self, data: Any) -> None:
        for chunk in data:
            self.write(chunk)

    def loseConnection(self) -> None:
        if self.disconnecting or self.disconnected:
            return
        self.disconnecting = True
        self._schedule()

    def abortConnection(self) -> None:
        self._outgoing.clear()
        self._close(ConnectionLost("the in-memory connection was aborted"))

    def getPeer(self) -> LocalAddress:
        return self.address

    def getHost(self) -> LocalAddress:
        return self.address

    # Producers get no flow control: both ends live in one process and one reactor.
    def registerProducer(self, producer: Any, streaming: bool) -> None:
        self.producer = producer

    def unregisterProducer(self) -> None:
        self.producer = None

    # -- delivery ------------------------------------------------------------------

    def _schedule(self) -> None:
        if self._flush_call is None and not self.disconnected:
            self._flush_call = self.clock.callLater(0, self._flush)

    def _flush(self) -> None:
        self._flush_call = None
        if self.disconnected:
            return
        data = b"".join(self._outgoing)
        self._outgoing.clear()
        other = self.peer_transport
        if data and other is not None and not other.disconnected:
            other.protocol.dataReceived(data)
        if self.disconnecting and not self._outgoing:
            self._close(ConnectionDone("the in-memory connection was closed"))

    def _close(self, reason: Exception) -> None:
        for transport in (self, self.peer_transport):
            if transport is None or transport.disconnected:
                continue
            transport.disconnected = True
            if transport._flush_call is not None and transport._flush_call.active():
                transport._flush_call.cancel()
            transport._flush_call = None
            transport.protocol.connectionLost(Failure(reason))


def connect_in_memory(
    clock: IReactorTime, server: Any, client: Any, name: str
) -> tuple[MemoryTransport, MemoryTransport]:
    """Connect ``server`` and ``client`` protocols; return their transports (server first)."""
    address = LocalAddress(name)
    server_transport = MemoryTransport(clock, server, address)
    client_transport = MemoryTransport(clock, client, address)
    server_transport.peer_transport = client_transport
    client_transport.peer_transport = server_transport
    server.makeConnection(server_transport)
    client.makeConnection(client_transport)
    return server_transport, client_transport
