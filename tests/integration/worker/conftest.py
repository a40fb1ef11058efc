"""Helpers for worker integration tests: real child processes on the real reactor.

:class:`Run` starts one command the way ``WorkerForBuilder`` does (a
:class:`CommandRef` standing in for the master's reference) and lets a test
wait for it, or for a condition while it runs.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from twisted.internet import defer, task

from marid_worker.commands import COMMANDS, CommandContext, execute
from marid_worker.commands.stream import UpdateStream
from marid_worker.scripts.pidfile import is_alive
from tests.unit.worker.loopback import CommandRef

__all__ = ["Run", "eventually", "is_alive", "run_command"]


def _reactor() -> Any:
    from twisted.internet import reactor

    return reactor


class Run:
    def __init__(self, builder_dir: Path, name: str, args: dict[str, Any]):
        self.ref = CommandRef()
        reactor = _reactor()
        self.updates = UpdateStream(self.ref, reactor)
        self.command = COMMANDS[name](CommandContext(builder_dir, reactor), "1", args, self.updates)
        self.updates.on_lost = lambda: self.command.interrupt("lost")
        self.started = time.monotonic()
        self.done: defer.Deferred[None] = defer.Deferred.fromCoroutine(
            execute(self.command, self.ref)
        )

    async def wait(self, limit: float = 30) -> CommandRef:
        self.done.addTimeout(limit, _reactor())
        await self.done
        return self.ref

    @property
    def seconds(self) -> float:
        return time.monotonic() - self.started


async def eventually(check: Callable[[], object], limit: float = 15) -> None:
    deadline = time.monotonic() + limit
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await task.deferLater(_reactor(), 0.02, lambda: None)


async def run_command(builder_dir: Path, name: str, args: dict[str, Any]) -> CommandRef:
    return await Run(builder_dir, name, args).wait()


@pytest.fixture
def builder_dir(tmp_path: Path) -> Path:
    path = tmp_path / "b1"
    path.mkdir()
    return path
