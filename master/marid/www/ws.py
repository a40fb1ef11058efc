"""The websocket ``/ws``: live MQ events for the web UI, in Buildbot's message format.

A client sends JSON commands, each with an ``_id`` that the answer repeats::

    {"cmd": "startConsuming", "path": "builds/*/*", "_id": 1}
    -> {"_id": 1, "code": 200, "msg": "OK"}
    {"cmd": "stopConsuming", "path": "builds/*/*", "_id": 2}
    {"cmd": "ping", "_id": 3}  -> {"_id": 3, "code": 200, "msg": "pong"}

and receives events ``{"k": "builds/12/finished", "m": {...}}`` for every
path it consumes. Errors answer ``{"_id": n, "code": 400|403|404, "error":
"..."}``. Every subscription ends when the socket closes.

A socket opened from a page of another site is refused unless that origin is
in ``c['www']['allowed_origins']`` (session cookies would otherwise let any
site read the events). A client that stops reading is disconnected once
``MAX_BUFFERED`` bytes of events wait for it, instead of growing the master's
memory without bound. Events are framed once for all clients and written to
each client in batches (at most ``BATCH_SECONDS`` late), so that a busy
master with many browsers open does not make a system call per event per
browser.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from autobahn.twisted.resource import WebSocketResource
from autobahn.twisted.websocket import WebSocketServerFactory, WebSocketServerProtocol
from autobahn.websocket.types import ConnectionDeny, ConnectionRequest
from twisted.internet import defer
from twisted.logger import Logger

from marid.mq import Consumer, RoutingKey, parse_filter
from marid.www.rpcbody import BodyError, decode

if TYPE_CHECKING:
    from marid.www.service import WWWService

log = Logger()

# Bytes of unsent events a client may have waiting before it is disconnected.
MAX_BUFFERED = 8 * 1024 * 1024
# Events for one client are sent together at most this long after the first of them:
# one socket write (and poller registration) per client per batch instead of per event.
BATCH_SECONDS = 0.05
# Resource types whose events a client may consume.
CONSUMABLE = frozenset(
    {
        "builds",
        "steps",
        "logs",
        "buildrequests",
        "buildsets",
        "workers",
        "builders",
        "changes",
        "masters",
        "schedulers",
        "changesources",
    }
)


class WsError(Exception):
    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


def _encode(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


class EventFrames:
    """The websocket frame of the event being delivered, framed once for all clients.

    The MQ hands the same message object to every consumer of one event, one
    after another, so remembering the last one (holding it, so that its id
    cannot be reused) is enough.
    """

    def __init__(self, factory: WebSocketServerFactory) -> None:
        self.factory = factory
        self.key: RoutingKey = ()
        self.message: dict[str, Any] | None = None
        self.frame: Any = None

    def prepared(self, key: RoutingKey, message: dict[str, Any]) -> Any:
        """An autobahn ``PreparedMessage`` of ``{"k": key, "m": message}``."""
        if message is not self.message or key != self.key:
            self.key, self.message = key, message
            payload = _encode({"k": "/".join(key), "m": message})
            self.frame = self.factory.prepareMessage(payload)
        return self.frame


class EventsProtocol(WebSocketServerProtocol):
    factory: EventsFactory

    def __init__(self) -> None:
        super().__init__()
        self.consumers: dict[str, Consumer] = {}
        self.user: dict[str, Any] = {"anonymous": True}
        self.closed = False
        self.batch: list[bytes] = []
        self.flush_call: Any = None

    # -- connection --------------------------------------------------------

    def onConnect(self, request: ConnectionRequest) -> None:
        www = self.factory.www
        origin = request.headers.get("origin")
        if origin and not www.guard.origin_trusted(origin, request.headers.get("host")):
            log.info("websocket from origin {origin} refused", origin=origin)
            raise ConnectionDeny(403, "origin not allowed")
        self.user = www.user_for_headers(request.headers)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        self.closed = True
        self.batch.clear()
        if self.flush_call is not None and self.flush_call.active():
            self.flush_call.cancel()
        for consumer in self.consumers.values():
            consumer.stop_consuming()
        self.consumers.clear()

    # -- commands ----------------------------------------------------------

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        try:
            frame = decode(payload, self.factory.www.rest.limits)
        except BodyError as error:
            self._reply({"_id": None, "code": 400, "error": str(error)})
            return
        if not isinstance(frame, dict):
            self._reply({"_id": None, "code": 400, "error": "a command must be a JSON object"})
            return
        d = defer.Deferred.fromCoroutine(self._command(frame))
        d.addErrback(lambda f: log.failure("websocket command failed", f))

    async def _command(self, frame: dict[str, Any]) -> None:
        msg_id = frame.get("_id")
        try:
            answer = await self._dispatch(frame)
        except WsError as error:
            self._reply({"_id": msg_id, "code": error.code, "error": str(error)})
            return
        self._reply({"_id": msg_id, "code": 200, "msg": answer})

    async def _dispatch(self, frame: dict[str, Any]) -> str:
        cmd = frame.get("cmd")
        if cmd == "ping":
            return "pong"
        if cmd not in ("startConsuming", "stopConsuming"):
            raise WsError(400, f"unknown command {cmd!r}")
        path = frame.get("path")
        if not isinstance(path, str) or not path.strip("/"):
            raise WsError(400, "'path' must be a non-empty string such as 'builds/*/*'")
        path = path.strip("/")
        if cmd == "stopConsuming":
            consumer = self.consumers.pop(path, None)
            if consumer is None:
                raise WsError(400, f"not consuming {path!r}")
            consumer.stop_consuming()
            return "OK"
        flt = parse_filter(path)
        if flt[0] not in CONSUMABLE:
            raise WsError(404, f"no events at {path!r}")
        await self.factory.www.check_read(tuple(p or "*" for p in flt), self.user)
        if path not in self.consumers and not self.closed:
            self.consumers[path] = self.factory.www.data.mq.start_consuming(self._event, flt)
        return "OK"

    # -- events ------------------------------------------------------------

    def _event(self, key: RoutingKey, message: dict[str, Any]) -> None:
        if self.closed:
            return
        # Without compression (never negotiated here) a prepared frame is sent as is.
        self.batch.append(self.factory.frames.prepared(key, message).payloadHybi)
        if self.flush_call is None or not self.flush_call.active():
            self.flush_call = self.factory.www.reactor.callLater(BATCH_SECONDS, self._flush)

    def _flush(self) -> None:
        if self.closed or not self.batch:
            return
        frames, self.batch = self.batch, []
        assert self.transport is not None
        self.transport.writeSequence(frames)
        if _buffered(self) > MAX_BUFFERED:
            log.warn("websocket client too slow: {n} bytes waiting; closing", n=_buffered(self))
            self.closed = True
            self.dropConnection(abort=True)

    def _reply(self, body: dict[str, Any]) -> None:
        if not self.closed:
            self._flush()  # events queued before the reply go first
            self.sendMessage(_encode(body))


def _buffered(protocol: WebSocketServerProtocol) -> int:
    """Bytes the transport has not yet written to the socket."""
    transport = protocol.transport
    queued = getattr(transport, "dataBuffer", b"")
    temp = getattr(transport, "_tempDataLen", 0)
    return len(queued) + int(temp)


class EventsFactory(WebSocketServerFactory):
    protocol = EventsProtocol  # type: ignore[assignment]  # autobahn narrows Factory.protocol

    def __init__(self, www: WWWService):
        super().__init__()
        self.www = www
        self.frames = EventFrames(self)
        self.apply_options()

    def apply_options(self) -> None:
        # autobahn's timers run in buckets of a fraction of a second: pings are at least 1 s apart.
        interval = max(self.www.ws_ping_interval, 1) if self.www.ws_ping_interval else 0
        self.setProtocolOptions(
            autoPingInterval=interval or 0,
            # A client that has not answered within two intervals is gone.
            autoPingTimeout=2 * interval if interval else 0,
            # Origins are checked in onConnect against the live configuration.
            allowedOrigins=["*"],
        )


def make_ws_resource(www: WWWService) -> tuple[WebSocketResource, EventsFactory]:
    factory = EventsFactory(www)
    return WebSocketResource(factory), factory
