"""Fixtures for the worker unit tests: a manager on ``task.Clock`` with a fake store."""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import pytest
from twisted.internet import defer, task
from twisted.logger import formatEvent, globalLogPublisher
from twisted.python.failure import Failure

from marid.workers.manager import WorkerManager
from tests.unit.workers.fakes import FakeBot, FakeStore, WorkerClient

T = TypeVar("T")

MASTERID = 7


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine that completes without the reactor; return its result or raise."""
    results: list[Any] = []
    defer.Deferred.fromCoroutine(coro).addBoth(results.append)
    assert results, "the coroutine is still waiting"
    if isinstance(results[0], Failure):
        results[0].raiseException()
    return results[0]  # type: ignore[no-any-return]


class Builder:
    """A duck-typed builder config: what the manager reads of one."""

    def __init__(self, name: str, workernames: list[str], builddir: str | None = None) -> None:
        self.name = name
        self.workernames = workernames
        if builddir is not None:
            self.builddir = builddir


@pytest.fixture
def clock() -> task.Clock:
    return task.Clock()


@pytest.fixture
def store() -> FakeStore:
    return FakeStore()


@pytest.fixture
def manager(clock: task.Clock, store: FakeStore, tmp_path: Any) -> WorkerManager:
    return WorkerManager(clock, store, MASTERID, basedir=str(tmp_path), make_bot=_no_bot)


def _no_bot(name: str, basedir: str, reactor: Any, on_shutdown: Any) -> Any:
    raise AssertionError("no local workers in this test")


@pytest.fixture
def connect(
    manager: WorkerManager, clock: task.Clock
) -> Callable[..., tuple[WorkerClient, FakeBot]]:
    """``connect(name, password, bot=None, host=..., port=...)``: a logged-in worker client."""

    def connect_worker(
        name: str = "w1",
        password: str = "pass",
        bot: FakeBot | None = None,
        *,
        host: str = "127.0.0.7",
        port: int = 40001,
    ) -> tuple[WorkerClient, FakeBot]:
        client = WorkerClient(manager.factory, clock, host=host, port=port)
        bot = bot or FakeBot()
        client.login(name, password, bot)
        return client, bot

    return connect_worker


@pytest.fixture
def log() -> Iterator[list[str]]:
    """The text of every log event emitted during the test."""
    lines: list[str] = []

    def record(event: dict[str, Any]) -> None:
        lines.append(formatEvent(event))

    observer: Any = record  # provides ILogObserver through zope, which mypy cannot see
    globalLogPublisher.addObserver(observer)
    yield lines
    globalLogPublisher.removeObserver(observer)
