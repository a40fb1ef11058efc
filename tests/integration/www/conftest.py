"""A web service on 127.0.0.1 over a real database, and a websocket client for it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest_twisted
from autobahn.twisted.websocket import WebSocketClientFactory, WebSocketClientProtocol, connectWS
from twisted.internet import defer, reactor

from marid.www.service import WWWService
from tests.fixtures.data import RecordingData
from tests.fixtures.http import Client


class WsClient(WebSocketClientProtocol):
    """Collects messages; ``next()`` waits for the next one, ``command()`` for its answer."""

    def __init__(self) -> None:
        super().__init__()
        self.messages: list[dict[str, Any]] = []
        self.waiting: defer.Deferred[None] | None = None
        self.opened: defer.Deferred[WsClient] = defer.Deferred()
        self.closed: defer.Deferred[tuple[bool, int | None, str | None]] = defer.Deferred()
        self.last_id = 0

    def onOpen(self) -> None:
        self.opened.callback(self)

    def onMessage(self, payload: bytes, isBinary: bool) -> None:
        self.messages.append(json.loads(payload))
        waiting, self.waiting = self.waiting, None
        if waiting is not None:
            waiting.callback(None)

    def onClose(self, wasClean: bool, code: int | None, reason: str | None) -> None:
        if not self.opened.called:
            self.opened.errback(ConnectionError(f"refused: {code} {reason}"))
        self.closed.callback((wasClean, code, reason))

    async def next(self, wait: float = 5) -> dict[str, Any]:
        while not self.messages:
            self.waiting = defer.Deferred()
            self.waiting.addTimeout(wait, reactor)
            await self.waiting
        return self.messages.pop(0)

    def send(self, frame: dict[str, Any] | str) -> None:
        text = frame if isinstance(frame, str) else json.dumps(frame)
        self.sendMessage(text.encode())

    async def command(self, cmd: str, **fields: Any) -> dict[str, Any]:
        self.last_id += 1
        self.send({"cmd": cmd, "_id": self.last_id, **fields})
        while True:
            message = await self.next()
            if message.get("_id") == self.last_id:
                return message


class Server:
    def __init__(self, www: WWWService, port: int):
        self.www = www
        self.port = port
        self.http = Client(f"http://127.0.0.1:{port}")
        self.clients: list[WsClient] = []

    async def ws(self, origin: str | None = None) -> WsClient:
        factory = WebSocketClientFactory(f"ws://127.0.0.1:{self.port}/ws", origin=origin)
        factory.protocol = WsClient
        opened: defer.Deferred[WsClient] = defer.Deferred()

        def build(addr: Any) -> WsClient:
            proto = WsClient()
            proto.factory = factory
            proto.opened.chainDeferred(opened)
            self.clients.append(proto)
            return proto

        factory.buildProtocol = build  # type: ignore[method-assign]
        connectWS(factory)
        return await opened


@pytest_twisted.async_yield_fixture()
async def server(data: RecordingData) -> AsyncIterator[Server]:
    www = WWWService(reactor, data)
    await www._listen("tcp:0:interface=127.0.0.1")
    srv = Server(www, www.listening.getHost().port)
    yield srv
    for client in srv.clients:
        if client.state != WebSocketClientProtocol.STATE_CLOSED:
            client.dropConnection(abort=True)
    await www.stopService()
