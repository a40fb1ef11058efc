"""Evaluating master.cfg in a thread: results on the reactor, a time limit, one at a time."""

from __future__ import annotations

import os
import queue
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.task import Clock
from twisted.python.failure import Failure

from marid.config.errors import ConfigError, ConfigErrors
from marid.config.evaluator import ConfigEvaluator, EvaluationBusy
from marid.config.master_config import MasterConfig
from tests.unit.config.configs import write


class ThreadedClock(Clock):
    """A Clock whose ``callFromThread`` queues the call until the test runs it."""

    def __init__(self) -> None:
        super().__init__()
        self.from_threads: queue.Queue[tuple[Callable[..., Any], tuple[Any, ...]]] = queue.Queue()

    def callFromThread(self, f: Callable[..., Any], *args: Any) -> None:
        self.from_threads.put((f, args))

    def handed_over(self) -> Callable[[], None]:
        """Wait for the evaluation thread's hand-over; calling it runs it as the reactor would."""
        f, args = self.from_threads.get(timeout=30)
        return lambda: f(*args)

    def run_from_thread(self) -> None:
        self.handed_over()()


def outcome(d: Any) -> Any:
    results: list[Any] = []
    d.addBoth(results.append)
    return results[0] if results else None


@pytest.fixture
def clock() -> ThreadedClock:
    return ThreadedClock()


@pytest.fixture
def gate() -> Iterator[threading.Event]:
    """A load function blocked on this event ends when the test ends, whatever happens."""
    event = threading.Event()
    yield event
    event.set()


def blocked_load(gate: threading.Event, result: MasterConfig) -> Callable[[str], MasterConfig]:
    def load(path: str) -> MasterConfig:
        gate.wait()
        return result

    return load


def test_the_result_arrives_on_the_reactor_thread_only(
    clock: ThreadedClock, gate: threading.Event
) -> None:
    config = MasterConfig.defaults("/srv/master")
    evaluator = ConfigEvaluator("/srv/master/master.cfg", clock, load=blocked_load(gate, config))
    d = evaluator.evaluate()
    gate.set()
    hand_over = clock.handed_over()  # the thread has finished; the reactor has not run yet
    assert not d.called
    hand_over()
    assert outcome(d) is config
    assert evaluator.busy_reason() is None
    assert clock.getDelayedCalls() == []


def test_config_errors_fail_the_deferred(clock: ThreadedClock) -> None:
    def load(path: str) -> MasterConfig:
        raise ConfigErrors([ConfigError("bad", path, 3)])

    evaluator = ConfigEvaluator("/m/master.cfg", clock, load=load)
    d = evaluator.evaluate()
    clock.run_from_thread()
    failure = outcome(d)
    assert isinstance(failure, Failure) and failure.check(ConfigErrors)
    assert str(failure.value) == "/m/master.cfg:3: bad"


def test_a_bug_in_the_checks_fails_with_its_own_exception(clock: ThreadedClock) -> None:
    def load(path: str) -> MasterConfig:
        raise KeyError("oops")

    d = ConfigEvaluator("/m/master.cfg", clock, load=load).evaluate()
    clock.run_from_thread()
    failure = outcome(d)
    assert isinstance(failure, Failure) and failure.check(KeyError)


def test_a_second_evaluation_is_refused_while_one_runs(
    clock: ThreadedClock, gate: threading.Event
) -> None:
    config = MasterConfig.defaults("/m")
    evaluator = ConfigEvaluator("/m/master.cfg", clock, load=blocked_load(gate, config))
    first = evaluator.evaluate()
    clock.advance(4)
    with pytest.raises(EvaluationBusy, match=r"/m/master.cfg is still being evaluated \(for 4s\)"):
        evaluator.evaluate()
    gate.set()
    clock.run_from_thread()
    assert outcome(first) is config
    second = evaluator.evaluate()
    clock.run_from_thread()
    assert outcome(second) is config


def test_overrunning_the_time_limit_is_a_config_error_and_keeps_the_evaluator_busy(
    clock: ThreadedClock, gate: threading.Event
) -> None:
    config = MasterConfig.defaults("/m")
    evaluator = ConfigEvaluator(
        "/m/master.cfg", clock, time_limit=5, load=blocked_load(gate, config)
    )
    d = evaluator.evaluate()
    clock.advance(4)
    assert not d.called
    clock.advance(1)
    failure = outcome(d)
    assert isinstance(failure, Failure) and failure.check(ConfigErrors)
    (error,) = failure.value.errors
    assert error.filename == "/m/master.cfg"
    assert "did not finish within 5s" in error.message
    assert "marid start --config-timeout" in error.message

    clock.advance(10)
    reason = evaluator.busy_reason()
    assert reason is not None and "overran its time limit 10s ago" in reason
    with pytest.raises(EvaluationBusy):
        evaluator.evaluate()
    gate.set()  # the late thread ends; what it returns is dropped
    clock.run_from_thread()
    assert evaluator.busy_reason() is None


# The runaway config sets this just before its loop.
LOOPING = threading.Event()
RUNAWAY = """\
c = BuildmasterConfig = {}
from tests.unit.config.test_evaluator import LOOPING
LOOPING.set()
while True:
    pass
"""


def wait_until_in_the_loop() -> None:
    """Spin until the evaluation thread runs line 4 or 5 of ``RUNAWAY``."""
    (thread,) = [t for t in threading.enumerate() if t.name == "marid master.cfg"]
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        frame = sys._current_frames().get(thread.ident or -1)
        if frame is not None and frame.f_lineno in (4, 5):
            return
        os.sched_yield()
    raise AssertionError("the config never reached its loop")


def test_a_runaway_loop_in_the_config_is_stopped_and_located(
    clock: ThreadedClock, tmp_path: Path
) -> None:
    path = write(tmp_path, RUNAWAY)
    evaluator = ConfigEvaluator(str(path), clock, time_limit=1)
    d = evaluator.evaluate()
    assert LOOPING.wait(30)
    wait_until_in_the_loop()
    clock.advance(1)
    failure = outcome(d)
    assert isinstance(failure, Failure) and failure.check(ConfigErrors)
    (error,) = failure.value.errors
    assert (error.filename, error.lineno) in ((str(path), 4), (str(path), 5))
    clock.run_from_thread()  # the loop was interrupted, so its thread ends
    assert evaluator.busy_reason() is None
    assert not [t for t in threading.enumerate() if t.name == "marid master.cfg"]


def test_no_time_limit_sets_no_timer(clock: ThreadedClock, gate: threading.Event) -> None:
    config = MasterConfig.defaults("/m")
    evaluator = ConfigEvaluator(
        "/m/master.cfg", clock, time_limit=0, load=blocked_load(gate, config)
    )
    d = evaluator.evaluate()
    assert clock.getDelayedCalls() == []
    gate.set()
    clock.run_from_thread()
    assert outcome(d) is config
