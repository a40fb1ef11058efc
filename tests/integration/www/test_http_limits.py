"""Requests too large for ``c['www']``'s limits get an answer, not a dropped connection.

A raw TCP client on 127.0.0.1 sends what a browser or a script could, and
reads the whole answer until the server closes; the web service is the real
one (``WWWService``) over a real database.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer, protocol, reactor
from twisted.internet.endpoints import TCP4ClientEndpoint, connectProtocol
from twisted.python.failure import Failure

from tests.integration.www.conftest import Server

pytestmark = pytest.mark.db_backends("sqlite")


class RawClient(protocol.Protocol):
    """Sends ``payload`` in pieces, keeps what comes back; ``done`` fires when closed."""

    def __init__(self, payload: list[bytes]) -> None:
        self.payload = payload
        self.received: list[bytes] = []
        self.done: defer.Deferred[bytes] = defer.Deferred()

    def connectionMade(self) -> None:
        for piece in self.payload:
            self.transport.write(piece)  # type: ignore[union-attr]

    def dataReceived(self, data: bytes) -> None:
        self.received.append(data)

    def connectionLost(self, reason: Failure = protocol.connectionDone) -> None:
        self.done.callback(b"".join(self.received))


async def exchange(server: Server, *payload: bytes) -> tuple[int, dict[str, str], Any]:
    """Send ``payload``; the status, headers and JSON body of the answer."""
    client = RawClient(list(payload))
    await connectProtocol(TCP4ClientEndpoint(reactor, "127.0.0.1", server.port), client)
    answer = await client.done.addTimeout(10, reactor)
    head, _, body = answer.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (h.partition(":") for h in header_lines)}
    return int(status_line.split()[1]), headers, json.loads(body)


@pytest_twisted.ensureDeferred
async def test_a_url_longer_than_the_limit_gets_414(server: Server) -> None:
    server.www.site.limits.max_url_length = 2000
    status, headers, body = await exchange(
        server, b"GET /api/v2/builds?x=" + b"a" * 40_000 + b" HTTP/1.1\r\nHost: a\r\n\r\n"
    )
    assert status == 414
    assert headers["content-type"] == "application/json; charset=utf-8"
    assert body == {"error": "the URL is longer than 2000 bytes"}
    # the same URL, complete on one line, but just over the limit
    status, _, _ = await exchange(server, b"GET /" + b"a" * 2000 + b" HTTP/1.1\r\n\r\n")
    assert status == 414


@pytest_twisted.ensureDeferred
async def test_a_url_within_the_limit_is_served(server: Server) -> None:
    server.www.site.limits.max_url_length = 2000
    path = b"/api/v2/masters?_=" + b"a" * 1900
    status, _, body = await exchange(server, b"GET " + path + b" HTTP/1.0\r\nHost: a\r\n\r\n")
    assert (status, body) == (200, {"masters": [], "meta": {"total": 0}})


@pytest_twisted.ensureDeferred
async def test_a_64_kib_header_gets_431(server: Server) -> None:
    status, _, body = await exchange(
        server, b"GET /api/v2/masters HTTP/1.1\r\nHost: a\r\nX-Big: " + b"b" * 65_536 + b"\r\n\r\n"
    )
    assert status == 431
    assert body == {"error": "a header is longer than 16384 bytes"}


@pytest_twisted.ensureDeferred
async def test_many_headers_adding_up_past_the_limit_get_431(server: Server) -> None:
    headers = b"".join(b"X-H%d: %s\r\n" % (i, b"v" * 100) for i in range(200))  # ~21 KB
    status, _, body = await exchange(
        server, b"GET /api/v2/masters HTTP/1.1\r\n" + headers + b"\r\n"
    )
    assert status == 431
    assert body["error"].startswith("the headers are larger than 16384 bytes")


@pytest_twisted.ensureDeferred
async def test_a_declared_body_over_the_limit_gets_413_before_it_is_sent(server: Server) -> None:
    server.www.site.limits.max_request_body = 10_000
    head = (
        b"POST /api/v2/forceschedulers/force HTTP/1.1\r\nHost: a\r\n"
        b"Content-Type: application/json\r\nContent-Length: 200000000\r\n\r\n"
    )
    # the client starts sending; the answer comes at once, whatever follows
    status, _, body = await exchange(server, head, b'{"reason": "' + b"r" * 50_000)
    assert status == 413
    assert body == {"error": "the request body is larger than 10000 bytes"}


@pytest_twisted.ensureDeferred
async def test_a_chunked_body_growing_over_the_limit_gets_413(server: Server) -> None:
    server.www.site.limits.max_request_body = 10_000
    head = (
        b"POST /api/v2/forceschedulers/force HTTP/1.1\r\nHost: a\r\n"
        b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n"
    )
    chunk = b"%x\r\n%s\r\n" % (4000, b"x" * 4000)
    status, _, body = await exchange(server, head, chunk, chunk, chunk, chunk)
    assert status == 413
    assert body == {"error": "the request body is larger than 10000 bytes"}


@pytest_twisted.ensureDeferred
async def test_a_body_within_the_limit_reaches_the_api(server: Server) -> None:
    rpc = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "stop", "params": {}}).encode()
    status, _, body = await exchange(
        server,
        b"POST /api/v2/masters HTTP/1.0\r\nHost: a\r\n"
        b"Content-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(rpc), rpc),
    )
    assert status == 400 and body["error"]["code"] == -32601  # read and answered by REST
