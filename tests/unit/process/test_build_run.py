"""The step loop of a ``Build`` against a scripted worker: results, halting, stopping, errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_twisted
from twisted.internet import defer

from marid.process.build import Build
from marid.process.buildrequest import BuildRequest
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.collapse import stamps_match
from marid.process.factory import BuildFactory
from marid.process.properties import Properties
from marid.process.remotecommand import WorkerLostError
from marid.process.results import CANCELLED, EXCEPTION, FAILURE, RETRY, SKIPPED, SUCCESS, Results
from marid.steps.shell import ShellCommand
from tests.unit.steps.harness import FakeData, ScriptedWorker, make_build


def exits(rc: int) -> Any:
    return lambda name, args: [{"stdout": f"ran {args['command']}\n"}, {"rc": rc}]


class Recorder(BuildStep):
    def __init__(self, result: int = SUCCESS, error: Exception | None = None, **kwargs: Any):
        super().__init__(**kwargs)
        self.result, self.error = result, error

    async def run(self) -> int:
        self.build.properties.setProperty("ran", [*self.getProperty("ran", []), self.name], "t")
        if self.error is not None:
            raise self.error
        return self.result


def build_of(
    tmp_path: Path, *steps: BuildStep, worker: ScriptedWorker | None = None
) -> tuple[Build, FakeData]:
    build, data = make_build(worker or ScriptedWorker(exits(0)), tmp_path)
    build.builder.config.factory = BuildFactory(list(steps))  # type: ignore[misc]  # a fake builder

    async def noop(*args: Any, **kwargs: Any) -> None:
        return None

    data.builds.set_build_state_string = noop
    return build, data


def ran(build: Build) -> list[str]:
    return list(build.properties.getProperty("ran", []))


@pytest_twisted.ensureDeferred
async def test_results_combine_worst_wins_and_failures_do_not_halt_by_default(
    tmp_path: Path,
) -> None:
    build, _ = build_of(tmp_path, Recorder(FAILURE, name="a"), Recorder(name="b"))
    assert await build._run_steps() == FAILURE
    assert ran(build) == ["a", "b"]


@pytest_twisted.ensureDeferred
async def test_halt_on_failure_skips_the_rest_except_always_run(tmp_path: Path) -> None:
    build, _data = build_of(
        tmp_path,
        Recorder(FAILURE, name="a", haltOnFailure=True),
        Recorder(name="b"),
        Recorder(name="c", alwaysRun=True),
    )
    assert await build._run_steps() == FAILURE
    assert ran(build) == ["a", "c"]


@pytest_twisted.ensureDeferred
async def test_exceptions_give_exception_with_the_traceback_in_a_log(tmp_path: Path) -> None:
    build, data = build_of(
        tmp_path, Recorder(name="boom", error=ValueError("bad value")), Recorder(name="b")
    )
    assert await build._run_steps() == EXCEPTION
    assert ran(build) == ["boom"]
    assert "ValueError: bad value" in data.logs_by_name()["err.text"]
    assert data.states[-1] == "ValueError: bad value (exception)"


@pytest_twisted.ensureDeferred
async def test_step_failed_gives_failure_with_its_message(tmp_path: Path) -> None:
    build, data = build_of(tmp_path, Recorder(name="f", error=StepFailed("no such file")))
    assert await build._run_steps() == FAILURE
    assert data.states[-1] == "no such file (failure)"


@pytest_twisted.ensureDeferred
async def test_a_lost_worker_gives_retry(tmp_path: Path) -> None:
    build, _ = build_of(
        tmp_path, Recorder(name="a", error=WorkerLostError("gone")), Recorder(name="b")
    )
    assert await build._run_steps() == RETRY
    assert ran(build) == ["a"]


@pytest_twisted.ensureDeferred
async def test_skipped_and_hidden_steps(tmp_path: Path) -> None:
    build, data = build_of(
        tmp_path,
        Recorder(name="no", doStepIf=False),
        Recorder(name="fn", doStepIf=lambda step: step.getProperty("ran") is not None),
        Recorder(name="hide", hideStepIf=lambda results, step: results == SUCCESS),
    )
    assert await build._run_steps() == SUCCESS
    assert ran(build) == ["hide"]
    assert data.finished == [(SKIPPED, False), (SKIPPED, False), (SUCCESS, True)]


@pytest_twisted.ensureDeferred
async def test_stop_interrupts_the_running_command_and_cancels(tmp_path: Path) -> None:
    worker = ScriptedWorker(lambda name, args: None)  # commands run until interrupted
    build, data = build_of(
        tmp_path,
        ShellCommand(name="long", command=["sleep", "60"]),
        ShellCommand(name="after", command="true"),
        ShellCommand(name="cleanup", command="true", alwaysRun=True),
        worker=worker,
    )
    running = defer.Deferred.fromCoroutine(build._run_steps())
    assert [args["command"] for _, args in worker.commands] == [["sleep", "60"]]
    worker.handler = exits(0)  # the commands after the stop end at once
    build.stop("enough")
    assert await running == CANCELLED
    assert worker.interrupted == ["enough"]
    assert [args["command"] for _, args in worker.commands][1:] == ["true"]  # only cleanup ran
    assert data.finished[0] == (CANCELLED, False)


def request(bsid: int, **sources: dict[str, Any]) -> BuildRequest:
    return BuildRequest(bsid, bsid, 1, "b", 0, 0, None, False, Properties(), dict(sources))


def test_requests_collapse_when_their_stamps_match_but_for_the_revision() -> None:
    main = {"repository": "r", "branch": "main", "project": "", "revision": "1"}
    assert stamps_match(request(1, **{"": main}), request(2, **{"": {**main, "revision": "2"}}))
    assert not stamps_match(request(1, **{"": main}), request(2, **{"": {**main, "branch": "x"}}))
    assert not stamps_match(request(1, **{"": main}), request(2, **{"": main, "lib": main}))
    patched = request(2, **{"": main})
    patched.has_patch = True
    assert not stamps_match(request(1, **{"": main}), patched)
    assert Results(SKIPPED).text == "skipped"


@pytest_twisted.ensureDeferred
async def test_a_build_stopped_while_waiting_for_its_locks_gives_them_up(tmp_path: Path) -> None:
    from marid.process.lockregistry import LockRegistry
    from marid.process.locks import MasterLock

    lock = MasterLock("deploy")
    registry = LockRegistry()
    await registry.acquire_all([lock.access("exclusive")], "someone else")
    worker = ScriptedWorker(exits(0))
    build, _ = build_of(tmp_path, Recorder(name="a"), worker=worker)
    build.builder.botmaster.locks = registry  # type: ignore[misc]  # a fake botmaster
    build.builder.config.locks = [lock.access("exclusive")]  # type: ignore[misc]
    running = defer.Deferred.fromCoroutine(build._run_build())
    assert not running.called
    build.stop("never mind")
    assert await running == CANCELLED
    assert ran(build) == [] and build.status == "cancelled: never mind (waiting for locks)"
    registry.release_all("someone else")
    assert registry.is_available([lock.access("exclusive")])
