"""Writes owed to an unavailable database: retried with backoff, given up on stop; and a build
whose logs cannot be stored ends EXCEPTION with the reason once its end can be written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.internet.task import Clock

from marid.db.errors import DatabaseUnavailable
from marid.process.factory import BuildFactory
from marid.process.owedwrites import OwedWrites
from marid.process.results import EXCEPTION, SUCCESS
from marid.steps.shell import ShellCommand
from tests.unit.steps.harness import ScriptedWorker, make_build, until

FULL = DatabaseUnavailable("database or disk is full")


class FlakyWrite:
    """A write that fails with ``FULL`` until ``fixed`` is set."""

    def __init__(self) -> None:
        self.calls = 0
        self.fixed = False

    async def __call__(self, *args: Any, **kwargs: Any) -> str:
        self.calls += 1
        if not self.fixed:
            raise FULL
        return "stored"


@pytest_twisted.ensureDeferred
async def test_an_owed_write_is_retried_with_growing_delays_until_it_is_stored() -> None:
    clock = Clock()
    owed = OwedWrites(clock, first_delay=1, max_delay=4)
    write = FlakyWrite()
    done = defer.Deferred.fromCoroutine(owed.write("store", write))
    assert write.calls == 1 and owed.waiting == 1
    for delay, calls in ((1, 2), (2, 3), (4, 4), (4, 5)):
        clock.advance(delay - 0.01)
        assert write.calls == calls - 1
        clock.advance(0.01)
        assert write.calls == calls
    write.fixed = True
    clock.advance(4)
    assert await done == "stored"
    assert owed.waiting == 0


@pytest_twisted.ensureDeferred
async def test_other_errors_are_not_retried() -> None:
    owed = OwedWrites(Clock())

    async def broken() -> None:
        raise ValueError("a bug")

    with pytest.raises(ValueError):
        await owed.write("store", broken)


@pytest_twisted.ensureDeferred
async def test_stopping_gives_up_waiting_writes_and_later_ones_at_once() -> None:
    clock = Clock()
    owed = OwedWrites(clock)
    write = FlakyWrite()
    waiting = defer.Deferred.fromCoroutine(owed.write("store", write))
    owed.stop()
    with pytest.raises(DatabaseUnavailable, match="disk is full"):
        await waiting
    with pytest.raises(DatabaseUnavailable):
        await owed.write("store", write)
    assert write.calls == 2
    assert clock.getDelayedCalls() == []


@pytest_twisted.ensureDeferred
async def test_a_build_whose_logs_cannot_be_stored_ends_exception_once_the_database_is_back(
    tmp_path: Path,
) -> None:
    worker = ScriptedWorker(lambda name, args: [{"stdout": "x" * 100 + "\n"}, {"rc": 0}])
    build, data = make_build(worker, tmp_path)
    factory = BuildFactory([ShellCommand(command="fill")])
    build.builder.config.factory = factory  # type: ignore[misc]  # a fake builder
    clock: Clock = build.master.reactor
    append, finish_step = FlakyWrite(), FlakyWrite()
    data.logs.append_log = append
    finished: list[int] = []

    async def record_finish(stepid: int, result: int, hidden: bool = False) -> None:
        await finish_step()
        finished.append(result)

    data.steps.finish_step = record_finish
    running = defer.Deferred.fromCoroutine(build._run_steps())
    await until(lambda: finish_step.calls == 1)
    assert append.calls >= 1 and not running.called
    finish_step.fixed = True
    clock.advance(1)
    results = await running
    assert results == EXCEPTION != SUCCESS
    assert len(finished) == 1  # the step's row was finished, after one refused attempt
    assert finish_step.calls == 2
    assert (
        build.status == "exception: the database cannot store the logs (database or disk is full)"
    )
