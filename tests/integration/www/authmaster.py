"""A real master with web auth on 127.0.0.1, and an HTTP client that keeps cookies.

``start(body)`` writes a ``master.cfg`` (two builders, a force scheduler for
each, an unconnected worker, the web server on a free port) followed by the
test's own lines, starts the master in this process and returns it with
the port it listens on. ``Browser`` sends requests with ``twisted.web.client``
as a browser would: it keeps the cookies the master sets and sends the
CSRF token that ``/config`` gave with every JSON-RPC call.
"""

from __future__ import annotations

import base64
import json
import textwrap
from collections.abc import AsyncIterator, Awaitable, Iterator
from dataclasses import dataclass
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.logger import formatEvent, globalLogPublisher
from twisted.web.client import Agent, FileBodyProducer
from twisted.web.http_headers import Headers

from marid.db.engine import make_engine
from marid.db.migrate import upgrade
from marid.master import BuildMaster
from tests.fixtures.http import Response, _Collect

HEADER = """\
from marid.plugins import util, schedulers, worker
c = BuildmasterConfig = {}
c['protocols'] = {'pb': {'port': 'tcp:0:interface=127.0.0.1'}}
c['db_url'] = 'sqlite:///state.sqlite'
c['workers'] = [worker.Worker('w1', 'pw')]
c['builders'] = [
    util.BuilderConfig(name=name, workernames=['w1'], factory=util.BuildFactory())
    for name in ('try-a', 'release')
]
c['schedulers'] = [
    schedulers.ForceScheduler('try', ['try-a']),
    schedulers.ForceScheduler('release', ['release']),
]
c['www'] = {'port': 'tcp:0:interface=127.0.0.1'}
"""


@dataclass
class Running:
    master: BuildMaster
    port: int
    basedir: Path

    def browser(self) -> Browser:
        return Browser(self.port)


class Start(Protocol):
    def __call__(
        self, body: str, *, files: dict[str, str] | None = None, again: Running | None = None
    ) -> Awaitable[Running]: ...


@pytest_twisted.async_yield_fixture()
async def start(tmp_path: Path) -> AsyncIterator[Start]:
    """Start a master with ``body`` after ``HEADER``, ``files`` written beside its config;
    ``again=running`` stops that master and starts a new one in its directory."""
    started: list[BuildMaster] = []

    async def start_master(
        body: str, *, files: dict[str, str] | None = None, again: Running | None = None
    ) -> Running:
        if again is not None:
            await again.master.stop_master()
            started.remove(again.master)
            basedir = again.basedir
        else:
            basedir = tmp_path / f"master{len(started)}"
            basedir.mkdir()
            engine = make_engine("sqlite:///state.sqlite", str(basedir))
            upgrade(engine)
            engine.dispose()
            (basedir / "master.cfg").write_text(HEADER + textwrap.dedent(body))
        for name, text in (files or {}).items():
            (basedir / name).write_text(text)
        master = BuildMaster(str(basedir), reactor)
        await master.start_master()
        started.append(master)
        master.startService()
        assert master.www is not None
        return Running(master, master.www.listening.getHost().port, basedir)

    yield start_master
    for master in started:
        await master.stop_master()


@pytest.fixture
def log() -> Iterator[list[str]]:
    """The text of every log event emitted during the test."""
    lines: list[str] = []

    def observer(event: dict[str, object]) -> None:
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observer)
    yield lines
    globalLogPublisher.removeObserver(observer)


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


class Browser:
    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.agent = Agent(reactor)
        self.cookies: dict[str, str] = {}
        self.csrf_token: str | None = None
        self.set_cookies: list[str] = []  # the Set-Cookie lines of the last response

    async def request(
        self,
        method: bytes,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = Headers({b"host": [self.base.removeprefix("http://").encode()]})
        if self.cookies:
            jar = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
            sent.setRawHeaders(b"cookie", [jar.encode()])
        for name, value in (headers or {}).items():
            sent.setRawHeaders(name.encode(), [value.encode()])
        producer = None if body is None else FileBodyProducer(BytesIO(body))
        response = await self.agent.request(method, f"{self.base}{path}".encode(), sent, producer)
        done: Deferred[bytes] = Deferred()
        response.deliverBody(_Collect(done))
        content = await done
        self.set_cookies = [v.decode() for v in response.headers.getRawHeaders(b"set-cookie") or []]
        for line in self.set_cookies:
            name, _, rest = line.partition("=")
            value = rest.split(";")[0]
            if "max-age=0" in line.lower():
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value
        return Response(response.code, response.headers, content)

    async def get(self, path: str, headers: dict[str, str] | None = None) -> Response:
        return await self.request(b"GET", path, headers=headers)

    async def login(self, username: str, password: str) -> Response:
        return await self.get("/auth/login", {"authorization": basic(username, password)})

    async def config(self, headers: dict[str, str] | None = None) -> dict[str, Any]:
        response = await self.get("/config", headers)
        body: dict[str, Any] = response.json()
        self.csrf_token = body.get("csrf_token")
        return body

    async def rpc(
        self,
        path: str,
        method: str,
        params: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Response:
        sent = {"content-type": "application/json"}
        if self.csrf_token is not None:
            sent["x-marid-csrf"] = self.csrf_token
        sent.update(headers or {})
        body = {"jsonrpc": "2.0", "id": 1, "method": method, "params": params or {}}
        return await self.request(b"POST", f"/api/v2/{path}", json.dumps(body).encode(), sent)
