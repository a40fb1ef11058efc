"""A whole worker (service, connector, bot) against a PB master on 127.0.0.1, real reactor."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.internet.endpoints import TCP4ServerEndpoint

from marid_worker.config import WorkerConfig
from marid_worker.connection import State
from marid_worker.service import Worker, make_endpoint
from tests.integration.worker.conftest import eventually, is_alive
from tests.unit.worker.loopback import CommandRef, FakeMaster

pytestmark = pytest.mark.integration


def reactor() -> Any:
    from twisted.internet import reactor as global_reactor

    return global_reactor


class Setup:
    def __init__(self, master: FakeMaster, port: Any, worker: Worker, exits: list[int]):
        self.master = master
        self.port = port
        self.worker = worker
        self.exits = exits


@pytest_twisted.async_yield_fixture
async def setup(tmp_path: Path) -> AsyncIterator[Setup]:
    master = FakeMaster(reactor())
    port = await TCP4ServerEndpoint(reactor(), 0, interface="127.0.0.1").listen(master.factory())
    config = WorkerConfig("127.0.0.1", port.getHost().port, "w1", "pass", keepalive=1)
    exits: list[int] = []
    worker = Worker(
        tmp_path, config, reactor(), make_endpoint(reactor(), config), on_exit=exits.append
    )
    worker.start()
    yield Setup(master, port, worker, exits)
    await worker.stop()
    await port.stopListening()


async def call(ref: Any, name: str, *args: Any, **kwargs: Any) -> Any:
    return await ref.callRemote(name, *args, **kwargs)


@pytest_twisted.ensureDeferred
async def test_worker_logs_in_keeps_alive_and_runs_a_shell_command(setup: Setup) -> None:
    await eventually(lambda: setup.master.minds)
    bot = setup.master.bot
    await call(bot, "print", message="attached")
    info = await call(bot, "getWorkerInfo")
    assert info["worker_commands"]["shell"] == "3.3"
    builders = await call(bot, "setBuilderList", [("b1", "b1")])
    ref = CommandRef()
    await call(
        builders["b1"],
        "startCommand",
        ref,
        "0",
        "shell",
        {"workdir": "build", "command": "echo over tcp", "logEnviron": False},
    )
    await eventually(lambda: ref.completed)
    assert ref.text("stdout") == "over tcp\n"
    assert ref.values("rc") == [0]
    await eventually(lambda: len(setup.master.keepalives) >= 1, limit=5)


@pytest_twisted.ensureDeferred
async def test_interrupt_command_over_pb_kills_the_running_command(setup: Setup) -> None:
    await eventually(lambda: setup.master.minds)
    builders = await call(setup.master.bot, "setBuilderList", [("b1", "b1")])
    ref = CommandRef()
    await call(
        builders["b1"],
        "startCommand",
        ref,
        "5",
        "shell",
        {"workdir": "build", "command": "echo started; sleep 300", "logEnviron": False},
    )
    await defer.Deferred.fromCoroutine(eventually(lambda: setup.worker.bot.builders["b1"].command))
    await call(builders["b1"], "interruptCommand", "5", "stop requested")
    await eventually(lambda: ref.completed)
    assert ref.values("rc") == [-1]
    assert "command interrupted" in ref.text("header")


@pytest_twisted.ensureDeferred
async def test_a_dropped_connection_kills_the_command_and_the_worker_comes_back(
    setup: Setup,
) -> None:
    await eventually(lambda: setup.master.minds)
    builders = await call(setup.master.bot, "setBuilderList", [("b1", "b1")])
    ref = CommandRef()
    await call(
        builders["b1"],
        "startCommand",
        ref,
        "1",
        "shell",
        {"workdir": "build", "command": "echo $$ > pid; sleep 300", "logEnviron": False},
    )
    pidfile = setup.worker.basedir / "b1" / "build" / "pid"
    await eventually(lambda: pidfile.exists() and pidfile.read_text().strip())
    pid = int(pidfile.read_text())
    setup.worker.connector.session.disconnect()  # type: ignore[union-attr]
    await eventually(lambda: not is_alive(pid))
    await eventually(lambda: len(setup.master.minds) == 2, limit=10)
    assert setup.worker.connector.state is State.CONNECTED


@pytest_twisted.ensureDeferred
async def test_graceful_shutdown_request_then_master_shutdown_ends_the_worker(setup: Setup) -> None:
    await eventually(lambda: setup.master.minds)
    await setup.worker.request_shutdown()
    assert setup.master.shutdown_requests == 1
    await call(setup.master.bot, "shutdown")
    await eventually(lambda: setup.exits == [0])


@pytest_twisted.ensureDeferred
async def test_a_finished_command_is_not_interrupted_by_the_next_start(setup: Setup) -> None:
    # A master starts the next command as soon as complete() arrives, before the
    # worker has the answer to that call: the finished command must stay finished.
    await eventually(lambda: setup.master.minds)
    builders = await call(setup.master.bot, "setBuilderList", [("b1", "b1")])
    following = CommandRef()
    args = {"workdir": "build", "command": "echo hi", "logEnviron": False}

    class EagerMaster(CommandRef):
        def remote_complete(self, failure: Any = None) -> None:
            super().remote_complete(failure)
            builders["b1"].callRemote("startCommand", following, "2", "shell", args)

    first = EagerMaster()
    await call(builders["b1"], "startCommand", first, "1", "shell", args)
    await eventually(lambda: following.completed)
    assert "interrupted" not in first.text("header")
    assert first.keys[-1] == "elapsed"
