"""The worker's only contact with Twisted Perspective Broker, which is untyped.

Everything else in ``marid_worker`` talks to the master through the typed names
defined here: :class:`RemoteRef` for any remote object (the master's
perspective, a command's update reference, file writers and readers),
:func:`call` to invoke a remote method, :func:`login` for the MD5
challenge/response login of ``worker-protocol.md``, and :class:`Exposed`, the
base class of the objects the master calls (``remote_*`` methods).

Errors a ``remote_*`` method raises on purpose derive from :class:`MasterFacingError`
(a ``pb.Error``): PB sends them to the master without logging a traceback here.

:class:`ReferenceBroker` is the PB broker both sides of Marid use. Stock PB
lets one connection hand out at most ``pb.MAX_BROKER_REFS`` (1024) live
references, counted on the side that *sends* them; one ``WorkerForBuilder``
each is what limits a stock worker to about 1,023 builders. This broker has
its own limit, ``max_references`` (:data:`DEFAULT_MAX_REFERENCES` unless the
factory says otherwise), and refuses past it with the same ``pb.Error``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, cast

from twisted.cred.credentials import UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.internet.defer import Deferred
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IProtocolFactory, IStreamClientEndpoint
from twisted.python.failure import Failure
from twisted.spread import pb

__all__ = [
    "DEFAULT_MAX_REFERENCES",
    "Exposed",
    "MasterFacingError",
    "ReferenceBroker",
    "ReferenceClientFactory",
    "RemoteRef",
    "Session",
    "UnauthorizedLogin",
    "call",
    "connect",
    "is_connection_error",
    "wire_failure",
]

Exposed = pb.Referenceable
"""Base class of objects whose ``remote_*`` methods the master calls."""

DEFAULT_MAX_REFERENCES = 100_000
"""Live references one connection may hand out (one per builder, command, file transfer)."""


class ReferenceBroker(pb.Broker):
    """A ``pb.Broker`` whose limit on live local references is ``max_references``."""

    max_references = DEFAULT_MAX_REFERENCES

    def registerReference(self, object: Any) -> Any:
        # PB's own check reads the module-wide MAX_BROKER_REFS; the identical bookkeeping is
        # redone here with this broker's limit, so no global is changed.
        puid = object.processUniqueID()
        luid = self.luids.get(puid)
        if luid is not None:
            self.localObjects[luid].incref()
            return luid
        if len(self.localObjects) >= self.max_references:
            raise pb.Error(
                f"Maximum PB reference count exceeded ({self.max_references} live references)"
            )
        luid = self.newLocalID()
        self.localObjects[luid] = pb.Local(object)
        self.luids[puid] = luid
        return luid


class ReferenceClientFactory(pb.PBClientFactory):
    """``pb.PBClientFactory`` whose brokers are :class:`ReferenceBroker`\\ s."""

    protocol = ReferenceBroker
    noisy = False  # one "Starting factory" log line per attempt helps nobody

    def __init__(self, max_references: int = DEFAULT_MAX_REFERENCES) -> None:
        super().__init__()
        self.max_references = max_references

    def buildProtocol(self, addr: Any) -> Any:
        broker = super().buildProtocol(addr)
        broker.max_references = self.max_references
        return broker


class MasterFacingError(pb.Error):
    """An error meant for the master; its ``str()`` is the whole message."""


class RemoteRef(Protocol):
    """What the worker uses of a ``pb.RemoteReference``."""

    def callRemote(self, _name: str, *args: Any, **kwargs: Any) -> Deferred[Any]: ...

    def notifyOnDisconnect(self, callback: Callable[[Any], object]) -> None: ...


async def call(ref: RemoteRef, name: str, *args: Any, **kwargs: Any) -> Any:
    """Call ``name`` on a remote object and return its (untyped) answer."""
    return await ref.callRemote(name, *args, **kwargs)


def is_connection_error(error: BaseException) -> bool:
    """True when ``error`` means the connection to the master is gone."""
    return isinstance(
        error, pb.DeadReferenceError | pb.PBConnectionLost | ConnectionLost | ConnectionDone
    )


def wire_failure(failure: Failure) -> object:
    """``failure`` in the form PB can send as an argument (``complete(failure)``)."""
    return pb.failure2Copyable(failure, False)


class Session:
    """One live PB connection to the master: its broker and the logged-in perspective.

    The worker must hold :attr:`perspective` for as long as it wants to stay
    logged in: when PB garbage-collects the reference, the master logs the
    worker out.
    """

    def __init__(self, broker: Any, perspective: RemoteRef):
        self._broker = broker
        self.perspective = perspective

    @property
    def transport(self) -> Any:
        return self._broker.transport

    def on_disconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once when this connection is lost."""
        if self._broker.disconnected:
            callback()
        else:
            self._broker.notifyOnDisconnect(callback)

    @property
    def connected(self) -> bool:
        return not self._broker.disconnected

    def disconnect(self) -> None:
        transport = self._broker.transport
        if transport is not None:
            transport.loseConnection()

    def abort(self) -> None:
        """Drop the connection at once, for a peer that stopped answering."""
        transport = self._broker.transport
        if transport is not None:
            transport.abortConnection()


async def connect(
    endpoint: IStreamClientEndpoint,
    name: str,
    password: str,
    bot: Exposed,
    *,
    max_references: int = DEFAULT_MAX_REFERENCES,
) -> Session:
    """Connect ``endpoint``, log in as ``name`` with ``bot`` as the mind, return the session.

    ``pb.PBClientFactory.login`` does the MD5 challenge/response:
    ``root.login(name)`` answers ``(challenge, challenger)``, then
    ``challenger.respond(md5(md5(password).digest() + challenge).digest(), bot)``.
    Raises :class:`UnauthorizedLogin` for a refused login (the connection is
    closed first) and the endpoint's error when it cannot connect.
    """
    factory = ReferenceClientFactory(max_references)
    broker: Any = await endpoint.connect(cast(IProtocolFactory, factory))
    enable_keepalive(broker.transport)
    try:
        perspective = await factory.login(
            UsernamePassword(name.encode("utf-8"), password.encode("utf-8")), client=bot
        )
    except BaseException:
        factory.disconnect()
        raise
    return Session(broker, cast(RemoteRef, perspective))


def enable_keepalive(transport: Any) -> None:
    """Turn on SO_KEEPALIVE where the transport supports it (TCP, TLS over TCP)."""
    setter = getattr(transport, "setTcpKeepAlive", None)
    if setter is None:
        # TLS wraps the TCP transport; the socket option belongs to the inner one.
        setter = getattr(getattr(transport, "transport", None), "setTcpKeepAlive", None)
    if setter is not None:
        setter(1)
