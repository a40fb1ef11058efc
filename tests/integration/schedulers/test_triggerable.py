"""Triggerable schedulers on every backend: buildsets added, and waits ended by MQ events."""

from __future__ import annotations

import pytest
import pytest_twisted
from twisted.internet.defer import CancelledError

from marid.plugins import schedulers, util
from marid.process.properties import Properties
from tests.fixtures.data import RecordingData
from tests.integration.schedulers.conftest import environment


@pytest_twisted.ensureDeferred
async def test_trigger_returns_ids_at_once_and_results_when_the_buildset_completes(
    data: RecordingData,
) -> None:
    triggerable = schedulers.Triggerable(
        "tests", ["a", "b"], properties={"suite": "all", "level": "default"}, priority=4
    )
    env = await environment(data, triggerable)
    running = env.manager.get("tests")
    assert isinstance(running, schedulers.Triggerable)
    consumers = data.mq.consumer_count()

    bsid, brids, results = await running.trigger(
        waited_for=True,
        sourcestamps=[{"codebase": "", "branch": "main", "revision": "r1"}],
        set_props=Properties({"level": "deep", "reason": "parent asked"}, "Trigger"),
    )

    buildset = await env.buildset(bsid)
    assert buildset["reason"] == "parent asked"
    assert buildset["sourcestamps"][0]["branch"] == "main"
    assert await env.properties(bsid) == {
        "suite": ["all", "Scheduler"],
        "level": ["deep", "Trigger"],
        "reason": ["parent asked", "Trigger"],
        "scheduler": ["tests", "Scheduler"],
    }
    requests = await env.requests(bsid)
    assert [(r["waited_for"], r["priority"]) for r in requests] == [(True, 4), (True, 4)]
    assert data.mq.consumer_count() == consumers + 1

    first, second = sorted(brids.values())
    await data.buildrequests.complete_build_requests([first], util.SUCCESS)
    assert not results.called
    await data.buildrequests.complete_build_requests([second], util.FAILURE)
    assert results.called
    assert await results == util.FAILURE
    assert running.waiting == 0
    assert data.mq.consumer_count() == consumers, "the completion consumer is gone"


@pytest_twisted.ensureDeferred
async def test_a_cancelled_wait_stops_watching_and_the_default_reason_names_the_scheduler(
    data: RecordingData,
) -> None:
    env = await environment(data, schedulers.Triggerable("deploy", ["a"]))
    running = env.manager.get("deploy")
    assert isinstance(running, schedulers.Triggerable)
    consumers = data.mq.consumer_count()

    bsid, brids, results = await running.trigger(waited_for=False)
    results.cancel()

    with pytest.raises(CancelledError):
        await results
    assert data.mq.consumer_count() == consumers
    assert (await env.buildset(bsid))["reason"] == (
        "The Triggerable scheduler named 'deploy' triggered this build"
    )
    await data.buildrequests.complete_build_requests(list(brids.values()), util.SUCCESS)


@pytest_twisted.ensureDeferred
async def test_configured_codebases_drop_the_triggering_builds_other_stamps(
    data: RecordingData,
) -> None:
    only_lib = schedulers.Triggerable("lib", ["a"], codebases={"lib": {"repository": "git://l"}})
    env = await environment(data, only_lib)
    running = env.manager.get("lib")
    assert isinstance(running, schedulers.Triggerable)

    bsid, _, _ = await running.trigger(
        waited_for=False,
        sourcestamps=[{"codebase": "app", "branch": "x"}, {"codebase": "lib", "revision": "v2"}],
    )

    (stamp,) = (await env.buildset(bsid))["sourcestamps"]
    assert (stamp["codebase"], stamp["repository"], stamp["revision"]) == ("lib", "git://l", "v2")
