"""Every worker command, run by a Marid master on a real worker process.

The same suite runs against the real ``buildbot-worker`` 4.3 from PyPI and
against ``marid-worker``: both must give the master the same results.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task

from marid.master import BuildMaster
from marid.process.remotecommand import (
    CommandResult,
    RemoteCommand,
    RemoteCommandError,
    WorkerLostError,
)
from marid.workers.transfer import DirectoryWriter, FileReader, FileWriter
from tests.fixtures.proxy import FaultyProxy
from tests.interop.peers import free_port, master_dir, running_worker

CONFIG = """\
from marid.plugins import worker

class Builder:
    def __init__(self, name, workernames):
        self.name = name
        self.workernames = workernames
        self.builddir = name

c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker('w1', 'sekrit')]
c['builders'] = [Builder('b1', ['w1'])]
c['protocols'] = {{'pb': {{'port': "tcp:{pb}:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:0:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""


@pytest.fixture(params=["buildbot-worker", "marid-worker"])
def worker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def worker_dir(tmp_path: Path) -> Path:
    return tmp_path / "worker"


@pytest.fixture
def pb_port() -> int:
    return free_port()


@pytest.fixture
def worker_process(
    worker_kind: str, interop_venv: Path, worker_dir: Path, pb_port: int
) -> Iterator[subprocess.Popen[bytes]]:
    with running_worker(worker_kind, interop_venv, worker_dir, f"127.0.0.1:{pb_port}") as process:
        yield process


@pytest_twisted.async_yield_fixture
async def master(tmp_path: Path, pb_port: int, worker_process: Any) -> AsyncIterator[BuildMaster]:
    basedir = master_dir(tmp_path / "master", CONFIG.format(pb=pb_port))
    m = BuildMaster(str(basedir), reactor)
    await m.start_master()
    m.startService()
    await m.workers.wait_for_connection("w1", timeout=30)
    yield m
    await m.stop_master()


async def run(
    m: BuildMaster, name: str, args: dict[str, Any]
) -> tuple[CommandResult, dict[str, str]]:
    conn = m.workers.get_connection("w1")
    assert conn is not None
    output: dict[str, str] = {}

    def collect(stream: str, text: str) -> None:
        output[stream] = output.get(stream, "") + text

    result = await RemoteCommand(name, args, on_output=collect).run(conn, "b1")
    return result, output


def shell_args(command: Any, **overrides: Any) -> dict[str, Any]:
    args: dict[str, Any] = {
        "workdir": "build",
        "command": command,
        "env": None,
        "want_stdout": True,
        "want_stderr": True,
        "logfiles": {},
        "timeout": 60,
        "maxTime": None,
        "max_lines": None,
        "sigtermTime": None,
        "usePTY": False,
        "logEnviron": False,
        "initial_stdin": None,
        "interruptSignal": "KILL",
    }
    args.update(overrides)
    return args


@pytest_twisted.ensureDeferred
async def test_shell_output_and_exit_codes(master: BuildMaster) -> None:
    result, output = await run(
        master, "shell", shell_args(["sh", "-c", "echo out; echo err >&2; exit 3"])
    )
    assert result.rc == 3
    assert output["stdout"] == "out\n"
    assert output["stderr"] == "err\n"
    assert "elapsedTime=" in output["header"] and " in dir " in output["header"]
    result, output = await run(
        master, "shell", shell_args("echo $GREETING", env={"GREETING": "hi"})
    )
    assert result.rc == 0 and output["stdout"] == "hi\n"


@pytest_twisted.ensureDeferred
async def test_shell_timeout_without_output_kills_the_command(master: BuildMaster) -> None:
    result, _ = await run(master, "shell", shell_args(["sleep", "30"], timeout=1))
    assert result.rc != 0
    assert result.failure_reason == "timeout_without_output"


@pytest_twisted.ensureDeferred
async def test_shell_interrupt(master: BuildMaster) -> None:
    conn = master.workers.get_connection("w1")
    assert conn is not None
    cmd = RemoteCommand("shell", shell_args(["sleep", "30"]))
    running = defer.Deferred.fromCoroutine(cmd.run(conn, "b1"))
    await task.deferLater(reactor, 0.5, lambda: None)
    await cmd.interrupt("test")
    result = await running
    assert result.interrupted and result.rc != 0


@pytest_twisted.ensureDeferred
async def test_a_second_command_on_a_busy_builder(
    master: BuildMaster, worker_kind: str, worker_dir: Path
) -> None:
    """marid-worker refuses it and keeps the first; buildbot-worker drops the first."""
    conn = master.workers.get_connection("w1")
    assert conn is not None
    first = RemoteCommand("shell", shell_args(["sh", "-c", "sleep 1; echo first done"]))
    output: list[str] = []
    first.on_output = lambda stream, text: output.append(text)
    running = defer.Deferred.fromCoroutine(first.run(conn, "b1"))
    await task.deferLater(reactor, 0.3, lambda: None)
    second = RemoteCommand("shell", shell_args(["echo", "second"]))
    if worker_kind == "marid-worker":
        with pytest.raises(RemoteCommandError, match="builder 'b1' is still running command"):
            await second.run(conn, "b1")
        result = await running
        assert result.rc == 0 and not result.interrupted and "first done\n" in output
        log = (worker_dir / "marid-worker.log").read_text()
        assert f"refusing command {second.command_id} (shell)" in log
    else:
        assert (await second.run(conn, "b1")).rc == 0  # what the master must never ask
        result = await running
        assert result.rc != 0 and "first done\n" not in output


@pytest_twisted.ensureDeferred
async def test_filesystem_commands(master: BuildMaster, worker_dir: Path) -> None:
    builder = worker_dir / "b1"
    assert (await run(master, "mkdir", {"dir": "build/sub", "logEnviron": False}))[0].rc == 0
    (builder / "build" / "sub" / "f.txt").write_text("hello")
    result, _ = await run(master, "stat", {"file": "build/sub/f.txt", "logEnviron": False})
    assert result.rc == 0 and result.stat is not None and result.stat[6] == 5
    result, _ = await run(
        master, "glob", {"path": str(builder / "build" / "*" / "*.txt"), "logEnviron": False}
    )
    assert result.files == [str(builder / "build" / "sub" / "f.txt")]
    result, _ = await run(master, "listdir", {"dir": "build/sub", "logEnviron": False})
    assert result.files == ["f.txt"]
    cp = {
        "fromdir": "build/sub",
        "todir": "build/copy",
        "timeout": 60,
        "maxTime": None,
        "logEnviron": False,
    }
    assert (await run(master, "cpdir", cp))[0].rc == 0
    assert (builder / "build" / "copy" / "f.txt").read_text() == "hello"
    assert (await run(master, "rmfile", {"path": "build/copy/f.txt", "logEnviron": False}))[
        0
    ].rc == 0
    assert not (builder / "build" / "copy" / "f.txt").exists()
    rm = {"dir": ["build/sub", "build/copy"], "timeout": 60, "maxTime": None, "logEnviron": False}
    assert (await run(master, "rmdir", rm))[0].rc == 0
    assert list((builder / "build").iterdir()) == []
    result, _ = await run(master, "stat", {"file": "build/nosuch", "logEnviron": False})
    assert result.rc != 0


@pytest_twisted.ensureDeferred
async def test_upload_and_download_of_a_large_file(
    master: BuildMaster, worker_dir: Path, tmp_path: Path
) -> None:
    payload = os.urandom(3 * 1024 * 1024 + 17)
    (worker_dir / "b1" / "build").mkdir(parents=True, exist_ok=True)
    (worker_dir / "b1" / "build" / "big.bin").write_bytes(payload)
    dest = tmp_path / "uploaded" / "big.bin"
    writer = FileWriter(str(dest))
    args = {
        "workdir": "build",
        "workersrc": "big.bin",
        "writer": writer,
        "maxsize": None,
        "blocksize": 256 * 1024,
        "keepstamp": False,
    }
    result, _ = await run(master, "uploadFile", args)
    assert result.rc == 0
    assert hashlib.sha256(dest.read_bytes()).hexdigest() == hashlib.sha256(payload).hexdigest()

    reader = FileReader.open(str(dest))
    down = {
        "workdir": "build",
        "workerdest": "down.bin",
        "reader": reader,
        "maxsize": None,
        "blocksize": 16 * 1024,
        "mode": 0o600,
    }
    result, _ = await run(master, "downloadFile", down)
    assert result.rc == 0
    downloaded = worker_dir / "b1" / "build" / "down.bin"
    assert (
        hashlib.sha256(downloaded.read_bytes()).hexdigest() == hashlib.sha256(payload).hexdigest()
    )
    assert os.stat(downloaded).st_mode & 0o777 == 0o600


@pytest_twisted.ensureDeferred
async def test_directory_upload(master: BuildMaster, worker_dir: Path, tmp_path: Path) -> None:
    src = worker_dir / "b1" / "build" / "dist"
    (src / "nested").mkdir(parents=True)
    (src / "a.txt").write_text("A")
    (src / "nested" / "b.txt").write_text("B")
    writer = DirectoryWriter(str(tmp_path / "dist"), reactor=reactor, compress="gz")
    args = {
        "workdir": "build",
        "workersrc": "dist",
        "writer": writer,
        "maxsize": None,
        "blocksize": 16 * 1024,
        "compress": "gz",
    }
    result, _ = await run(master, "uploadDirectory", args)
    assert result.rc == 0
    assert (tmp_path / "dist" / "a.txt").read_text() == "A"
    assert (tmp_path / "dist" / "nested" / "b.txt").read_text() == "B"


@pytest_twisted.async_yield_fixture
async def proxy(pb_port: int) -> AsyncIterator[FaultyProxy]:
    faulty = FaultyProxy(pb_port)
    await faulty.start()
    yield faulty
    await faulty.stop()


@pytest.fixture
def proxied_worker(
    worker_kind: str, interop_venv: Path, tmp_path: Path, proxy: FaultyProxy
) -> Iterator[Path]:
    """A worker process that reaches the master only through ``proxy``."""
    worker_dir = tmp_path / "proxied-worker"
    target = f"127.0.0.1:{proxy.port.getHost().port}"
    # The worker starts before the master listens: retry every 2 s at most, so a master that is
    # slow to start on a busy machine does not leave the worker in a long backoff.
    options = ("--keepalive=0", "--maxdelay=2")
    with running_worker(worker_kind, interop_venv, worker_dir, target, *options):
        yield worker_dir


def process_exists(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


async def wait_until(check: Any, seconds: float) -> None:
    for _ in range(int(seconds * 10)):
        if check():
            return
        await task.deferLater(reactor, 0.1, lambda: None)


@pytest_twisted.ensureDeferred
async def test_a_connection_cut_mid_command_kills_it_and_the_worker_comes_back(
    proxied_worker: Path, tmp_path: Path, pb_port: int, proxy: FaultyProxy
) -> None:
    basedir = master_dir(tmp_path / "master", CONFIG.format(pb=pb_port))
    m = BuildMaster(str(basedir), reactor)
    try:
        await m.start_master()
        m.startService()
        assert m.workers is not None
        conn = await m.workers.wait_for_connection("w1", timeout=30)
        pidfile = proxied_worker / "b1" / "build" / "sleeper.pid"
        sleeper_args = shell_args(["sh", "-c", "echo $$ > sleeper.pid; exec sleep 60"])
        running = defer.Deferred.fromCoroutine(RemoteCommand("shell", sleeper_args).run(conn, "b1"))
        await wait_until(lambda: pidfile.exists() and pidfile.read_text().strip(), 10)
        sleeper = int(pidfile.read_text())
        proxy.cut()
        with pytest.raises(WorkerLostError):
            await running
        await wait_until(lambda: not process_exists(sleeper), 10)
        assert not process_exists(sleeper), "the worker killed the command"
        again = await m.workers.wait_for_connection("w1", timeout=60)
        assert again is not conn
        result, output = await run(m, "shell", shell_args(["echo", "back"]))
        assert result.rc == 0 and output["stdout"] == "back\n"
    finally:
        await m.stop_master()
