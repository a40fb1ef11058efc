"""An in-process master running real builds on real worker processes.

``build_env`` gives a ``BuildEnv``: a master directory with a migrated SQLite
database, a ``master.cfg`` written from the test's own lines (workers,
factories, builders), and worker processes (``marid-worker`` by default, the
real ``buildbot-worker`` from the interop venv on request) started and killed
by PID. ``force`` adds a buildset through the data API and ``finished``
waits for it through the MQ, so nothing polls on a timer except ``eventually``.
``daemon_master`` runs the same directory as a separate master process with
the real ``marid`` command instead (see ``daemon.py``).
Everything talks over 127.0.0.1.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task, threads
from twisted.logger import formatEventAsClassicLogText, globalLogPublisher

from marid.db.engine import make_engine
from marid.db.migrate import upgrade
from marid.master import BuildMaster

if TYPE_CHECKING:
    from tests.integration.builds.daemon import DaemonMaster

HEADER = """\
from marid.plugins import worker, steps, util, schedulers
c = BuildmasterConfig = {{}}
c['protocols'] = {{'pb': {{'port': "tcp:{pb_port}:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:{www_port}:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def sleep(seconds: float) -> None:
    await task.deferLater(reactor, seconds, lambda: None)


async def eventually(
    check: Callable[[], Awaitable[bool] | bool],
    timeout: float = 30,  # noqa: ASYNC109 - polled on the Twisted reactor
) -> None:
    """Poll ``check`` every 0.05 s until it is true; fail after ``timeout`` seconds."""
    deadline = reactor.seconds() + timeout
    while True:
        value = check()
        if not isinstance(value, bool):
            value = await value
        if value:
            return
        if reactor.seconds() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check}")
        await sleep(0.05)


def worker_command(kind: str) -> list[str]:
    if kind == "buildbot-worker":
        from tests.interop.conftest import interop_venv_path

        return [str(interop_venv_path() / "bin" / "buildbot-worker")]
    return [sys.executable, "-m", "marid_worker.scripts.runner"]


class BuildEnv:
    def __init__(self, root: Path) -> None:
        self.root = root
        self.basedir = root / "master"
        self.basedir.mkdir()
        self.pb_port = free_port()
        self.www_port = free_port()
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.master: BuildMaster | None = None
        engine = make_engine("sqlite:///state.sqlite", str(self.basedir))
        upgrade(engine)
        engine.dispose()

    def write_config(self, body: str) -> None:
        header = HEADER.format(pb_port=self.pb_port, www_port=self.www_port)
        (self.basedir / "master.cfg").write_text(header + body)

    def worker_dir(self, name: str) -> Path:
        return self.root / f"worker-{name}"

    def start_worker(self, name: str, kind: str = "marid-worker", password: str = "pw") -> None:
        command = worker_command(kind)
        workdir = self.worker_dir(name)
        if not workdir.exists():
            subprocess.run(
                [
                    *command,
                    "create-worker",
                    str(workdir),
                    f"127.0.0.1:{self.pb_port}",
                    name,
                    password,
                ],
                check=True,
                capture_output=True,
            )
        self.processes[name] = subprocess.Popen(
            [*command, "start", "--nodaemon", str(workdir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def kill_worker(self, name: str) -> None:
        process = self.processes.pop(name)
        os.kill(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    async def start_master(self, *workers: str) -> BuildMaster:
        self.master = BuildMaster(str(self.basedir), reactor)
        await self.master.start_master()
        self.master.startService()
        assert self.master.workers is not None
        for name in workers:
            await self.master.workers.wait_for_connection(name, timeout=30)
        return self.master

    @property
    def m(self) -> BuildMaster:
        assert self.master is not None
        return self.master

    async def force(
        self, builder: str, properties: dict[str, Any] | None = None, **stamp: Any
    ) -> tuple[int, int]:
        """Add a buildset for ``builder``; return ``(bsid, brid)``."""
        data = self.m.data
        assert data is not None
        builderid = await data.builders.find_builder_id(builder)
        bsid, brids = await data.buildsets.add_buildset(
            scheduler="test",
            sourcestamps=[{"codebase": "", **stamp}],
            reason="a test",
            properties={k: (v, "Test") for k, v in (properties or {}).items()},
            builderids=[builderid],
        )
        return bsid, brids[builderid]

    async def finished(self, bsid: int, timeout: float = 60) -> dict[str, Any]:  # noqa: ASYNC109
        """Wait until buildset ``bsid`` is complete; return it."""
        data = self.m.data
        assert data is not None
        done: defer.Deferred[None] = defer.Deferred()
        consumer = self.m.mq.start_consuming(
            lambda key, msg: done.called or done.callback(None), f"buildsets/{bsid}/complete"
        )
        try:
            buildset = await data.db.buildsets.get_buildset(bsid)
            if not buildset.complete:
                done.addTimeout(timeout, reactor)
                await done
        finally:
            consumer.stop_consuming()
        buildset = await data.db.buildsets.get_buildset(bsid)
        return {"complete": buildset.complete, "results": buildset.results}

    async def get(self, path: str) -> Any:
        """``GET /api/v2/<path>`` over HTTP; the decoded JSON."""
        return (await self.http(path))[1]

    async def http(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        url = f"http://127.0.0.1:{self.www_port}/api/v2/{path}"
        data = json.dumps(body).encode() if body is not None else None

        def call() -> tuple[int, Any]:
            request = urllib.request.Request(url, data, {"content-type": "application/json"})
            try:
                with urllib.request.urlopen(request, timeout=30) as response:
                    return response.status, json.loads(response.read())
            except urllib.error.HTTPError as error:
                return error.code, json.loads(error.read())

        result: tuple[int, Any] = await threads.deferToThread(call)
        return result

    async def rpc(self, path: str, method: str, **params: Any) -> tuple[int, Any]:
        return await self.http(
            path, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        )

    async def log_text(self, buildid: int, step: int, log: str = "stdio") -> str:
        data = await self.get(f"builds/{buildid}/steps/{step}/logs/{log}/contents")
        return "".join(chunk["content"] for chunk in data["logchunks"])

    async def stop(self) -> None:
        if self.master is not None and self.master.running:
            await self.master.stop_master()
        for name in list(self.processes):
            self.kill_worker(name)


@pytest.fixture(autouse=True)
def master_log() -> Iterator[None]:
    """The master's log on stderr, so a failing test shows what the master said."""

    def observer(event: dict[str, Any]) -> None:
        text = formatEventAsClassicLogText(event)
        if text:
            sys.stderr.write(text)

    globalLogPublisher.addObserver(observer)
    yield
    globalLogPublisher.removeObserver(observer)


@pytest_twisted.async_yield_fixture
async def build_env(tmp_path: Path) -> AsyncIterator[BuildEnv]:
    env = BuildEnv(tmp_path)
    yield env
    await env.stop()


@pytest_twisted.async_yield_fixture
async def daemon_master(build_env: BuildEnv) -> AsyncIterator[DaemonMaster]:
    """The ``build_env`` directory made by ``marid create-master``, for ``marid start``."""
    from tests.integration.builds.daemon import DaemonMaster  # it imports this module

    daemon = DaemonMaster(build_env)
    await daemon.create()
    yield daemon
    daemon.kill_if_running()


@pytest.fixture
def worker_kinds() -> list[str]:
    return ["marid-worker"]
