"""The Perspective Broker edge of the worker port: the one module that handles PB objects.

PB is untyped and dynamic; everything beyond this module is typed. It provides:

- ``RemoteRef``: a typed handle on a remote object (a worker's Bot or one of
  its WorkerForBuilders). ``call`` never raises synchronously; it offers
  disconnect notifications, the peer's address and ways to drop the link.
- ``WorkerBroker``: the server-side broker (a ``ReferenceBroker``, so that it
  may hand out more than stock PB's 1,024 references: one per running
  command). It turns on TCP keepalive, drops a
  peer whose bytes PB cannot parse (one log line with the peer's address), and
  closes connections that have not logged in after ``LOGIN_TIMEOUT`` seconds
  (the first of a burst is logged with its peer; the rest are counted in one
  line a minute, see ``summary.RepeatSummary``).
- ``make_server_factory(handler, clock)``: a ``PBServerFactory`` whose portal
  checks PB's MD5 challenge/response against ``handler.password_for(name)``,
  asked at every login so that a reconfigured password applies at once, and
  whose realm hands each login to ``handler.logged_in``. The perspective the
  worker gets back forwards ``keepalive`` and ``shutdown`` to the ``Avatar``
  that ``logged_in`` returned.
- ``login_in_memory(...)``: a client-side login over an in-memory transport,
  for workers that run inside the master.

Invariants: every refused login logs exactly one line naming the peer. Errors
sent back to a worker are ``pb.Error`` subclasses, so PB logs no traceback for
them; a refused login is also an ``UnauthorizedLogin``, which workers retry
with their backoff, while ``LoginRejected`` is any other refusal.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from twisted.cred.checkers import ICredentialsChecker
from twisted.cred.credentials import IUsernameHashedPassword, UsernamePassword
from twisted.cred.error import UnauthorizedLogin
from twisted.cred.portal import IRealm, Portal
from twisted.internet import defer
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.error import ConnectionDone, ConnectionLost
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.spread import pb
from zope.interface import implementer

from marid.workers.protocol.memory import LocalAddress, MemoryTransport, connect_in_memory
from marid.workers.protocol.summary import RepeatSummary
from marid_worker.wire import ReferenceBroker, ReferenceClientFactory

log = Logger()

_CONNECTION_DONE = Failure(ConnectionDone())

LOGIN_TIMEOUT = 120.0
"""Seconds a new connection may take to log in before it is closed."""


class Avatar(Protocol):
    """What a logged-in worker's perspective forwards to (the master's ``Connection``)."""

    def keepalive_received(self) -> None: ...

    def shutdown_requested(self) -> None: ...

    def logged_out(self) -> None: ...


class LoginHandler(Protocol):
    """Who decides about logins: the worker manager."""

    def password_for(self, name: str) -> bytes | None:
        """The password of worker ``name``, or None when no such worker may log in."""
        ...

    async def logged_in(self, name: str, bot: RemoteRef) -> Avatar:
        """Accept a login whose password was right, or raise ``LoginRejected``."""
        ...


class LoginRefused(pb.Error, UnauthorizedLogin):
    """Unknown worker or wrong password; the worker retries later."""


class LoginRejected(pb.Error):
    """A login with the right password that the master still turns down."""


CONNECTION_LOST_ERRORS: tuple[type[BaseException], ...] = (
    pb.PBConnectionLost,
    pb.DeadReferenceError,
    ConnectionDone,
    ConnectionLost,
)
"""The exception types that mean "the connection went away" rather than a remote error."""


def is_connection_lost(error: BaseException | Failure) -> bool:
    """Whether ``error`` only says that the connection is gone."""
    if isinstance(error, Failure):
        return error.check(*CONNECTION_LOST_ERRORS) is not None
    return isinstance(error, CONNECTION_LOST_ERRORS)


def is_no_such_method(error: BaseException) -> bool:
    """Whether a remote call failed because the peer has no such method (an older worker)."""
    text = str(error)
    return "NoSuchMethod" in text or "No such method" in text or "AttributeError" in text


def describe_address(address: object) -> str:
    """``host:port`` for TCP peers; the address's own text otherwise."""
    if isinstance(address, IPv4Address | IPv6Address):
        return f"{address.host}:{address.port}"
    return str(address)


class RemoteRef:
    """A typed handle on a PB ``RemoteReference``."""

    def __init__(self, reference: Any) -> None:
        self._reference = reference

    @property
    def reference(self) -> Any:
        """The PB object itself, to pass back through PB."""
        return self._reference

    @property
    def peer(self) -> str:
        return describe_address(self._reference.broker.transport.getPeer())

    @property
    def is_connected(self) -> bool:
        return not self._reference.broker.disconnected

    def call(self, method: str, *args: Any, **kwargs: Any) -> defer.Deferred[Any]:
        """Call ``method`` remotely; a dead connection gives a failed Deferred, not an exception."""
        return defer.maybeDeferred(self._reference.callRemote, method, *args, **kwargs)

    def notify_on_disconnect(self, callback: Callable[[], None]) -> None:
        """Call ``callback`` once the connection is lost (at once if it already is)."""
        if not self.is_connected:
            callback()
            return
        self._reference.broker.notifyOnDisconnect(callback)

    def dont_notify_on_disconnect(self, callback: Callable[[], None]) -> None:
        if self.is_connected:
            self._reference.broker.dontNotifyOnDisconnect(callback)

    def lose_connection(self) -> None:
        """Close the connection once what is already written has been sent."""
        self._reference.broker.transport.loseConnection()

    def abort_connection(self) -> None:
        """Close the connection now, dropping anything unsent."""
        transport = self._reference.broker.transport
        abort = getattr(transport, "abortConnection", None)
        (abort or transport.loseConnection)()

    def wrap(self, reference: Any) -> RemoteRef:
        """Wrap another reference that came over the same connection."""
        return RemoteRef(reference)


class WorkerBroker(ReferenceBroker):
    """The server side of one worker connection."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._login_timer: IDelayedCall | None = None
        self._dropped = False

    @property
    def peer(self) -> str:
        transport: Any = self.transport
        return describe_address(transport.getPeer())

    def connectionMade(self) -> None:
        super().connectionMade()
        set_keepalive = getattr(self.transport, "setTcpKeepAlive", None)
        if set_keepalive is not None:
            set_keepalive(True)
        # Calls are small and often pipelined (ping, startBuild): without NODELAY the second
        # waits for the worker's delayed ACK (40 ms on Linux), which dominated a build's latency.
        set_nodelay = getattr(self.transport, "setTcpNoDelay", None)
        if set_nodelay is not None:
            set_nodelay(True)
        factory: Any = self.factory  # a WorkerServerFactory; PB types it as None
        self._login_timer = factory.clock.callLater(LOGIN_TIMEOUT, self._login_timed_out)

    def logged_in(self) -> None:
        """The connection belongs to a worker now; it may stay as long as it likes."""
        if self._login_timer is not None and self._login_timer.active():
            self._login_timer.cancel()
        self._login_timer = None

    def _login_timed_out(self) -> None:
        self._login_timer = None
        factory: Any = self.factory
        factory.idle_closes.note(peer=self.peer, timeout=LOGIN_TIMEOUT)
        self._drop()

    def dataReceived(self, data: bytes) -> None:
        if self._dropped:
            return
        try:
            super().dataReceived(data)
        except Exception as error:
            log.warn(
                "dropped a connection from {peer} on the worker port: not PB ({error})",
                peer=self.peer,
                error=f"{type(error).__name__}: {error}",
            )
            self._drop()

    def _drop(self) -> None:
        self._dropped = True
        transport: Any = self.transport
        abort = getattr(transport, "abortConnection", None)
        (abort or transport.loseConnection)()

    def connectionLost(self, reason: Failure = _CONNECTION_DONE) -> None:
        self.logged_in()  # cancels the login timer
        super().connectionLost(reason)


class WorkerServerFactory(pb.PBServerFactory):
    """The PB factory of the worker port (and of in-process workers)."""

    protocol = WorkerBroker
    noisy = False

    def __init__(self, portal: Portal, clock: IReactorTime) -> None:
        super().__init__(portal)
        self.clock = clock
        self.idle_closes = RepeatSummary(
            clock,
            "closed a connection from {peer} on the worker port: no login after {timeout:.0f} s",
            "closed {count} more connections on the worker port in {seconds:.0f} s: "
            "no login after {timeout:.0f} s (the last from {peer})",
        )


def _peer_of(credentials: object) -> str:
    # PB's credentials object carries the broker that received the login.
    broker = getattr(credentials, "broker", None)
    transport = getattr(broker, "transport", None)
    return describe_address(transport.getPeer()) if transport is not None else "an unknown peer"


@implementer(ICredentialsChecker)
class _PasswordChecker:
    credentialInterfaces = (IUsernameHashedPassword,)

    def __init__(self, handler: LoginHandler) -> None:
        self._handler = handler

    def requestAvatarId(self, credentials: Any) -> defer.Deferred[bytes | tuple[()]]:
        peer = _peer_of(credentials)
        raw = credentials.username
        try:
            name = raw.decode("utf-8") if isinstance(raw, bytes) else str(raw)
        except UnicodeDecodeError:
            name = repr(raw)
        password = self._handler.password_for(name)
        if password is None:
            log.warn(
                "worker login refused from {peer}: no worker named {name!r} is configured",
                peer=peer,
                name=name,
            )
            return defer.fail(LoginRefused("login refused"))
        if not credentials.checkPassword(password):
            log.warn(
                "worker login refused from {peer}: wrong password for worker {name!r}",
                peer=peer,
                name=name,
            )
            return defer.fail(LoginRefused("login refused"))
        return defer.succeed(name.encode("utf-8"))


class _Perspective(pb.Avatar):
    """What the worker holds a reference to; forwards its calls to the avatar."""

    def __init__(self, avatar: Avatar) -> None:
        self._avatar = avatar

    def perspective_keepalive(self) -> None:
        self._avatar.keepalive_received()

    def perspective_shutdown(self) -> None:
        self._avatar.shutdown_requested()


@implementer(IRealm)
class _WorkerRealm:
    def __init__(self, handler: LoginHandler) -> None:
        self._handler = handler

    def requestAvatar(self, avatar_id: Any, mind: Any, *interfaces: Any) -> defer.Deferred[Any]:
        if pb.IPerspective not in interfaces:
            raise NotImplementedError("the worker port only serves PB perspectives")
        name = avatar_id.decode("utf-8") if isinstance(avatar_id, bytes) else str(avatar_id)
        return defer.Deferred.fromCoroutine(self._login(name, mind))

    async def _login(self, name: str, mind: Any) -> tuple[Any, _Perspective, Callable[[], None]]:
        if mind is None:
            raise LoginRejected("a worker must log in with its bot as the mind")
        avatar = await self._handler.logged_in(name, RemoteRef(mind))
        broker = mind.broker
        if isinstance(broker, WorkerBroker):
            broker.logged_in()
        return pb.IPerspective, _Perspective(avatar), avatar.logged_out


def make_server_factory(handler: LoginHandler, clock: IReactorTime) -> WorkerServerFactory:
    """The PB factory for the worker port: password check and realm both ask ``handler``."""
    portal = Portal(_WorkerRealm(handler), [_PasswordChecker(handler)])
    return WorkerServerFactory(portal, clock)


class MemorySession:
    """A client logged in over an in-memory pair; keep it, or the login is released."""

    def __init__(self, perspective: Any, transport: MemoryTransport) -> None:
        self.perspective = RemoteRef(perspective)
        self._transport = transport

    @property
    def is_connected(self) -> bool:
        return not self._transport.disconnected

    def notify_on_disconnect(self, callback: Callable[[], None]) -> None:
        self.perspective.notify_on_disconnect(callback)

    def close(self) -> None:
        self._transport.loseConnection()


async def login_in_memory(
    clock: IReactorTime,
    server_factory: WorkerServerFactory,
    name: str,
    password: bytes,
    bot: Any,
) -> MemorySession:
    """Log ``bot`` (a ``pb.Referenceable``) in as ``name`` without a socket."""
    client_factory = ReferenceClientFactory()
    address = LocalAddress(name)
    server = server_factory.buildProtocol(address)
    client = client_factory.buildProtocol(address)
    _, client_transport = connect_in_memory(clock, server, client, name)
    try:
        perspective = await client_factory.login(
            UsernamePassword(name.encode("utf-8"), password), client=bot
        )
    except BaseException:
        client_transport.abortConnection()
        raise
    return MemorySession(perspective, client_transport)
