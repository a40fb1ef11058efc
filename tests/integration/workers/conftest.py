"""A master in this process, real ``buildbot-worker`` processes, REST calls, a faulty proxy.

Everything talks over 127.0.0.1 only. The master runs on the test's reactor
(pytest-twisted), so REST calls go through ``twisted.web.client.Agent`` rather
than a blocking client. Worker processes are stopped by their PID.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor, task, threads

from marid.db.engine import make_engine
from marid.db.migrate import upgrade
from marid.master import BuildMaster
from tests.interop.conftest import interop_venv_path

CONFIG = """\
from marid.plugins import worker

class Builder:
    def __init__(self, name, workernames):
        self.name = name
        self.workernames = workernames

c = BuildmasterConfig = {{}}
c['workers'] = [{workers}]
c['builders'] = [{builders}]
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
    check: Callable[[], Awaitable[bool]],
    timeout: float = 30,  # noqa: ASYNC109 - polled on the Twisted reactor
) -> None:
    """Poll ``check`` every 0.1 s until it is true; fail after ``timeout`` seconds."""
    deadline = reactor.seconds() + timeout
    while not await check():
        if reactor.seconds() > deadline:
            raise AssertionError(f"still not true after {timeout} s: {check.__doc__ or check}")
        await sleep(0.1)


def _http(url: str, data: bytes | None) -> tuple[int, Any]:
    request = urllib.request.Request(url, data, {"content-type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


class MasterDir:
    """A master directory with a migrated SQLite database and a writable config."""

    def __init__(self, basedir: Path) -> None:
        self.basedir = basedir
        self.pb_port = free_port()
        self.www_port = free_port()
        engine = make_engine("sqlite:///state.sqlite", str(basedir))
        upgrade(engine)
        engine.dispose()

    def write(self, workers: str, builders: str = "Builder('b1', ['w1'])") -> None:
        (self.basedir / "master.cfg").write_text(
            CONFIG.format(
                workers=workers, builders=builders, pb_port=self.pb_port, www_port=self.www_port
            )
        )

    async def start(self) -> BuildMaster:
        master = BuildMaster(str(self.basedir), reactor)
        await master.start_master()
        master.startService()
        return master

    async def rest(self, path: str, body: dict[str, Any] | None = None) -> tuple[int, Any]:
        """GET (or, with ``body``, POST) ``/api/v2/<path>``; the status and the decoded JSON.

        The blocking client runs in a thread: the master answers on this reactor.
        """
        url = f"http://127.0.0.1:{self.www_port}/api/v2/{path}"
        data = None if body is None else json.dumps(body).encode()
        return await threads.deferToThread(_http, url, data)

    async def rpc(self, path: str, method: str, **params: Any) -> Any:
        status, answer = await self.rest(
            path, {"jsonrpc": "2.0", "id": 1, "method": method, "params": params}
        )
        assert status == 200 and "error" not in answer, answer
        return answer["result"]

    async def worker(self, name: str) -> dict[str, Any]:
        status, answer = await self.rest(f"workers/{name}")
        assert status == 200, answer
        return answer["workers"][0]  # type: ignore[no-any-return]


class WorkerProcess:
    """A real ``buildbot-worker`` in its own directory, started and stopped by PID."""

    def __init__(
        self,
        venv: Path,
        basedir: Path,
        master_port: int,
        name: str,
        password: str,
        options: tuple[str, ...] = ("--keepalive=0",),
    ):
        self.venv = venv
        self.basedir = basedir
        self.process: subprocess.Popen[bytes] | None = None
        subprocess.run(
            [
                str(venv / "bin" / "buildbot-worker"),
                "create-worker",
                *options,
                str(basedir),
                f"127.0.0.1:{master_port}",
                name,
                password,
            ],
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(self.venv / "bin" / "buildbot-worker"), "start", "--nodaemon", str(self.basedir)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    async def stop(self) -> None:
        """SIGTERM the process and wait for it to exit (SIGKILL after 10 s)."""
        if self.process is None or self.process.poll() is not None:
            return
        os.kill(self.process.pid, signal.SIGTERM)
        for _ in range(100):
            if self.process.poll() is not None:
                return
            await sleep(0.1)
        self.kill()

    def send(self, sig: int) -> None:
        assert self.process is not None
        os.kill(self.process.pid, sig)

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.kill(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=10)

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        path = self.basedir / "twistd.log"
        return path.read_text(errors="replace") if path.exists() else ""


class WorkerFactory:
    """``factory(port, name="w1", password="pass", options=...)``: a created worker process.

    ``options`` are ``create-worker`` options (default ``--keepalive=0``); call
    ``start()`` on the result. ``kill_all()`` kills every process it made.
    """

    def __init__(self, venv: Path, directory: Path) -> None:
        self.venv = venv
        self.directory = directory
        self.made: list[WorkerProcess] = []

    def __call__(
        self, port: int, name: str = "w1", password: str = "pass", options: tuple[str, ...] = ()
    ) -> WorkerProcess:
        basedir = self.directory / f"worker-{len(self.made)}"
        worker = WorkerProcess(
            self.venv, basedir, port, name, password, options or ("--keepalive=0",)
        )
        self.made.append(worker)
        return worker

    def kill_all(self) -> None:
        for worker in self.made:
            worker.kill()


def new_master_dir(tmp_path: Path) -> MasterDir:
    basedir = tmp_path / "master"
    basedir.mkdir()
    return MasterDir(basedir)


async def stop_masters(started: list[BuildMaster]) -> None:
    for master in started:
        if master.db is not None:
            await master.stop_master()


@pytest.fixture
def master_dir(tmp_path: Path) -> MasterDir:
    return new_master_dir(tmp_path)


@pytest.fixture
def workers(tmp_path: Path) -> Iterator[WorkerFactory]:
    factory = WorkerFactory(interop_venv_path(), tmp_path)
    yield factory
    factory.kill_all()


@pytest_twisted.async_yield_fixture
async def masters() -> AsyncIterator[list[BuildMaster]]:
    """Masters a test started; each still running is stopped at the end."""
    started: list[BuildMaster] = []
    yield started
    await stop_masters(started)
