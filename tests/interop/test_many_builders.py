"""5,000 builders on one worker: a real ``buildbot-worker`` 4.3 and a real ``marid-worker``.

Stock PB lets a worker hand out 1,024 live references; each builder needs one.
``buildbot-worker`` gets a window of 1,000 builder references that take turns;
``marid-worker`` says it may hand out more and gets all of them at once. Both
must attach, run a command on the last builder (outside a stock window) and
on the first, and attach again after the connection drops. The attach times
are printed (``pytest -s`` shows them).
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.logger import formatEvent, globalLogPublisher

from marid.master import BuildMaster
from marid.process.remotecommand import RemoteCommand
from marid.workers.connection import Connection
from tests.interop.peers import free_port, master_dir, running_worker
from tests.interop.test_worker_commands import shell_args

BUILDERS = 5000

CONFIG = """\
from marid.plugins import worker

class Builder:
    def __init__(self, name, workernames):
        self.name = name
        self.workernames = workernames

c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker('w1', 'sekrit'{options})]
c['builders'] = [Builder('b%04d' % i, ['w1']) for i in range({count})]
c['protocols'] = {{'pb': {{'port': "tcp:{pb}:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:0:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""


@pytest.fixture(params=["buildbot-worker", "marid-worker"])
def worker_kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def pb_port() -> int:
    return free_port()


@pytest.fixture
def worker_dir(
    worker_kind: str, interop_venv: Path, tmp_path: Path, pb_port: int
) -> Iterator[Path]:
    basedir = tmp_path / "worker"
    with running_worker(worker_kind, interop_venv, basedir, f"127.0.0.1:{pb_port}"):
        yield basedir


@pytest.fixture
def master_config(request: pytest.FixtureRequest) -> tuple[int, str]:
    """``(builders, Worker options)`` of the starting config; tests override it by parameter."""
    return getattr(request, "param", (BUILDERS, ""))


def write_config(basedir: Path, pb_port: int, count: int, options: str) -> None:
    (basedir / "master.cfg").write_text(CONFIG.format(pb=pb_port, count=count, options=options))


@pytest_twisted.async_yield_fixture
async def master(
    tmp_path: Path, pb_port: int, master_config: tuple[int, str]
) -> AsyncIterator[BuildMaster]:
    count, options = master_config
    basedir = master_dir(
        tmp_path / "master", CONFIG.format(pb=pb_port, count=count, options=options)
    )
    m = BuildMaster(str(basedir), reactor)
    await m.start_master()
    m.startService()
    yield m
    await m.stop_master()


async def attached(m: BuildMaster, old: Connection | None = None) -> tuple[Connection, float]:
    """The worker's next attached connection, and the seconds from its login to attached."""
    assert m.workers is not None
    deadline = time.monotonic() + 120
    while True:
        conn = await m.workers.wait_for_connection("w1", timeout=120)
        if conn is not old:
            return conn, reactor.seconds() - conn.connected_at
        assert time.monotonic() < deadline, "the worker did not attach again"
        await _sleep(0.1)


async def _sleep(seconds: float) -> None:
    from twisted.internet import task

    await task.deferLater(reactor, seconds, lambda: None)


async def echo(conn: Connection, builder: str) -> Any:
    output: list[str] = []
    result = await RemoteCommand(
        "shell",
        shell_args(["echo", builder]),
        on_output=lambda stream, text: output.append(text) if stream == "stdout" else None,
    ).run(conn, builder)
    return result.rc, "".join(output)


@pytest_twisted.ensureDeferred
async def test_5000_builders_attach_run_and_attach_again_after_a_reconnect(
    worker_kind: str, master: BuildMaster, worker_dir: Path
) -> None:
    conn, seconds = await attached(master)
    print(f"\n{worker_kind}: {BUILDERS} builders attached {seconds:.2f} s after the login")

    assert len(conn.builders) == BUILDERS
    expected_window = 1000 if worker_kind == "buildbot-worker" else BUILDERS
    assert len(conn.window.refs) == expected_window
    assert await echo(conn, "b4999") == (0, "b4999\n")
    assert await echo(conn, "b0000") == (0, "b0000\n")
    assert (worker_dir / "b4999").is_dir() and (worker_dir / "b0000").is_dir()

    conn.lose_connection()
    again, seconds = await attached(master, conn)
    print(f"{worker_kind}: attached again {seconds:.2f} s after the new login")

    assert len(again.builders) == BUILDERS
    assert await echo(again, "b2500") == (0, "b2500\n")


@pytest.fixture
def log_lines() -> Iterator[list[str]]:
    lines: list[str] = []

    def record(event: dict[str, Any]) -> None:
        lines.append(formatEvent(event))

    observer: Any = record  # an ILogObserver through zope, which mypy cannot see
    globalLogPublisher.addObserver(observer)
    yield lines
    globalLogPublisher.removeObserver(observer)


@pytest.mark.parametrize("worker_kind", ["buildbot-worker"])
@pytest.mark.parametrize("master_config", [(10, ", max_builder_references=1100")], indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_builder_list_past_the_workers_limit_fails_the_reconfig_with_the_reason(
    worker_kind: str, master: BuildMaster, worker_dir: Path, pb_port: int, log_lines: list[str]
) -> None:
    # max_builder_references=1100 tells the master more than a stock-PB worker can give.
    conn, _ = await attached(master)
    write_config(Path(master.basedir), pb_port, 1100, ", max_builder_references=1100")

    assert await master.reconfig() is False

    failed = [line for line in log_lines if "reconfig failed" in line]
    assert failed and "worker 'w1'" in failed[0]
    assert "Maximum PB reference count exceeded" in failed[0]
    assert any("did not take its new list of 1100 builders" in line for line in log_lines)
    assert not any("reconfig applied" in line for line in log_lines)
    assert master.workers is not None and master.workers.get_connection("w1") is conn
    assert len(conn.builders) == 10
    assert await echo(conn, "b0009") == (0, "b0009\n")  # its old builders still work


@pytest.mark.parametrize("master_config", [(10, "")], indirect=True)
@pytest_twisted.ensureDeferred
async def test_a_reconfig_to_5000_builders_is_applied_to_the_connected_worker(
    worker_kind: str, master: BuildMaster, worker_dir: Path, pb_port: int, log_lines: list[str]
) -> None:
    conn, _ = await attached(master)
    write_config(Path(master.basedir), pb_port, BUILDERS, "")

    started = reactor.seconds()
    assert await master.reconfig() is True
    print(
        f"\n{worker_kind}: reconfig from 10 to {BUILDERS} builders took "
        f"{reactor.seconds() - started:.2f} s"
    )

    assert len(conn.builders) == BUILDERS
    assert await echo(conn, "b4321") == (0, "b4321\n")
