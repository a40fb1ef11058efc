"""Trigger's choices: which stamps and properties it passes, how results map, interrupts."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest_twisted
from twisted.internet import defer

from marid.config.errors import ErrorCollector
from marid.plugins import schedulers, steps, util
from marid.process.results import CANCELLED, EXCEPTION, FAILURE, SUCCESS, WARNINGS
from marid.process.steprunner import run_step
from marid.schedulers.triggerable import Triggerable
from tests.unit.steps.harness import ScriptedWorker, make_build, run, until

STAMPS = {
    "": {"codebase": "", "branch": "main", "revision": "r1", "repository": "u", "project": ""},
    "lib": {"codebase": "lib", "branch": "dev", "revision": "r2", "repository": "v", "project": ""},
}


class RecordingTriggerable(Triggerable):
    """A Triggerable whose buildsets are recorded; the test decides their results."""

    def __init__(self, name: str) -> None:
        super().__init__(name, ["kid"])
        self.calls: list[dict[str, Any]] = []
        self.waits: list[defer.Deferred[int]] = []

    async def trigger(  # type: ignore[override]
        self,
        waited_for: bool,
        sourcestamps: Sequence[Mapping[str, Any]] | None = None,
        set_props: Any = None,
        parent_buildid: int | None = None,
        parent_relationship: str | None = None,
    ) -> tuple[int, dict[int, int], defer.Deferred[int]]:
        self.calls.append(
            {
                "waited_for": waited_for,
                "stamps": list(sourcestamps or []),
                "props": set_props.asDict(),
                "parent": (parent_buildid, parent_relationship),
            }
        )
        waiting: defer.Deferred[int] = defer.Deferred()
        self.waits.append(waiting)
        return 10 + len(self.calls), {3: 100 + len(self.calls)}, waiting


def manager(*found: Any) -> SimpleNamespace:
    table = {s.name: s for s in found}
    return SimpleNamespace(get=table.get)


def master_attrs(*found: Any) -> dict[str, Any]:
    return {"scheduler_manager": manager(*found)}


async def trigger_and_answer(
    tmp_path: Path, step: Any, kids: list[RecordingTriggerable], results: list[int], **kw: Any
) -> Any:
    build, data = make_build(
        ScriptedWorker(lambda n, a: [{"rc": 0}]), tmp_path, master_attrs=master_attrs(*kids), **kw
    )
    running = defer.ensureDeferred(run_step(build, step.new_instance()))
    await until(lambda: all(k.waits for k in kids))
    for kid, result in zip(kids, results, strict=True):
        kid.waits[0].callback(result)
    return await running, build, data


@pytest_twisted.ensureDeferred
async def test_stamps_carry_got_revision_per_codebase_and_properties_are_set(
    tmp_path: Path,
) -> None:
    kid = RecordingTriggerable("kids")
    step = steps.Trigger(
        schedulerNames=["kids"],
        set_properties={"x": util.Interpolate("%(prop:colour)s!")},
        copy_properties=["colour", "absent"],
    )
    outcome = await run(
        step,
        ScriptedWorker(lambda n, a: [{"rc": 0}]),
        tmp_path,
        properties={"colour": "red", "got_revision": {"lib": "g2"}},
        sourcestamps=STAMPS,
        master_attrs=master_attrs(kid),
    )
    assert outcome.result == SUCCESS
    (call,) = kid.calls
    assert call["waited_for"] is False
    assert [(s["codebase"], s["revision"]) for s in call["stamps"]] == [("", "r1"), ("lib", "g2")]
    assert call["props"] == {"colour": ("red", "Trigger"), "x": ("red!", "Trigger")}
    assert call["parent"] == (7, "Triggered from")
    assert outcome.urls == [("kids #101", "http://localhost:8010/#/buildrequests/101")]
    assert kid.waits[0].called  # not waited for: cancelled so the scheduler stops watching


@pytest_twisted.ensureDeferred
async def test_always_use_latest_sends_no_stamps_and_explicit_stamps_win(tmp_path: Path) -> None:
    kid = RecordingTriggerable("kids")
    worker = ScriptedWorker(lambda n, a: [{"rc": 0}])
    attrs = master_attrs(kid)
    await run(
        steps.Trigger(schedulerNames=["kids"], alwaysUseLatest=True),
        worker,
        tmp_path,
        sourcestamps=STAMPS,
        master_attrs=attrs,
    )
    explicit = [{"codebase": "", "branch": "b", "revision": "x"}]
    await run(
        steps.Trigger(schedulerNames=["kids"], sourceStamps=explicit),
        worker,
        tmp_path,
        sourcestamps=STAMPS,
        master_attrs=attrs,
    )
    await run(
        steps.Trigger(schedulerNames=["kids"], updateSourceStamp=False),
        worker,
        tmp_path,
        sourcestamps=STAMPS,
        master_attrs=attrs,
        properties={"got_revision": "zz"},
    )
    assert kid.calls[0]["stamps"] == []
    assert kid.calls[1]["stamps"] == explicit
    assert [s["revision"] for s in kid.calls[2]["stamps"]] == ["r1", "r2"]


@pytest_twisted.ensureDeferred
async def test_waiting_takes_the_worst_important_result(tmp_path: Path) -> None:
    main, extra = RecordingTriggerable("main"), RecordingTriggerable("extra")
    step = steps.Trigger(
        schedulerNames=["main", "extra"], waitForFinish=True, unimportantSchedulerNames=["extra"]
    )
    result, _, data = await trigger_and_answer(tmp_path, step, [main, extra], [WARNINGS, EXCEPTION])
    assert result == WARNINGS
    assert data.states[-1] == "triggered main: warnings, extra: exception (warnings)"
    assert main.calls[0]["waited_for"] is True
    result, _, _ = await trigger_and_answer(
        tmp_path,
        step,
        [RecordingTriggerable("main"), RecordingTriggerable("extra")],
        [FAILURE, SUCCESS],
    )
    assert result == FAILURE


@pytest_twisted.ensureDeferred
async def test_stopping_the_build_stops_waiting(tmp_path: Path) -> None:
    kid = RecordingTriggerable("kids")
    build, _ = make_build(
        ScriptedWorker(lambda n, a: [{"rc": 0}]), tmp_path, master_attrs=master_attrs(kid)
    )
    step = steps.Trigger(schedulerNames=["kids"], waitForFinish=True).new_instance()
    running = defer.ensureDeferred(run_step(build, step))
    await until(lambda: bool(kid.waits))
    build.stop("enough")
    assert await running == CANCELLED
    assert kid.waits[0].called


@pytest_twisted.ensureDeferred
async def test_a_missing_or_wrong_scheduler_fails_before_anything_is_triggered(
    tmp_path: Path,
) -> None:
    kid = RecordingTriggerable("kids")
    force = schedulers.ForceScheduler(name="force", builderNames=["kid"])
    worker = ScriptedWorker(lambda n, a: [{"rc": 0}])
    outcome = await run(
        steps.Trigger(schedulerNames=["kids", "nope"]),
        worker,
        tmp_path,
        master_attrs=master_attrs(kid, force),
    )
    assert (outcome.result, outcome.status) == (
        FAILURE,
        "no scheduler named 'nope' is running (failure)",
    )
    outcome = await run(
        steps.Trigger(schedulerNames=["force"]),
        worker,
        tmp_path,
        master_attrs=master_attrs(kid, force),
    )
    assert outcome.status == "scheduler 'force' is a ForceScheduler, not a Triggerable (failure)"
    assert kid.calls == []


def test_config_errors_for_conflicting_options() -> None:
    errors = ErrorCollector("master.cfg")
    steps.Trigger().check_config(errors)
    steps.Trigger(schedulerNames=["a"], updateSourceStamp=True, alwaysUseLatest=True).check_config(
        errors
    )
    steps.Trigger(schedulerNames=["a"], sourceStamps=[], alwaysUseLatest=True).check_config(errors)
    steps.Trigger(schedulerNames=["a"], unimportantSchedulerNames=["b"]).check_config(errors)
    steps.Trigger(schedulerNames=["a"], copy_properties="x").check_config(errors)
    assert [e.message for e in errors.errors] == [
        "Trigger 'trigger': schedulerNames must be a non-empty list of Triggerable scheduler names",
        "Trigger 'trigger': updateSourceStamp and alwaysUseLatest cannot both be set",
        "Trigger 'trigger': sourceStamps cannot be combined with updateSourceStamp "
        "or alwaysUseLatest",
        "Trigger 'trigger': unimportantSchedulerNames ['b'] are not in schedulerNames",
        "Trigger 'trigger': copy_properties must be a list of property names",
    ]
