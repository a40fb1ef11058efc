"""Crash recovery on the database: what ``recover_master`` leaves for a dead master's work."""

from __future__ import annotations

import pytest_twisted

from marid.process.buildcontrol import recover_master
from marid.process.results import RETRY
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import master_with_builders, started_build


@pytest_twisted.ensureDeferred
async def test_a_dead_masters_builds_end_as_retry_and_its_requests_go_back(
    data: RecordingData,
) -> None:
    setup = await master_with_builders(data, "a")
    running = await started_build(data, setup, "a")
    stepid, _, _ = await data.steps.add_step(running.buildid, "compile")
    await data.steps.start_step(stepid)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    await data.logs.append_log(logid, "opartial output\n")
    done = await started_build(data, setup, "a")
    await data.builds.finish_build(done.buildid, 0)
    await data.buildrequests.complete_build_requests([done.brid], 0)
    other = await data.masters.find_master_id("elsewhere")
    elsewhere = await started_build(data, setup, "a")
    await data.buildrequests.unclaim_build_requests([elsewhere.brid])
    await data.buildrequests.claim_build_requests([elsewhere.brid], other)

    assert await recover_master(data, setup.masterid) == 2  # both builds this master started

    build = await data.db.builds.get_build(running.buildid)
    assert build.complete and build.results == RETRY
    step = await data.db.steps.get_step(stepid)
    assert step.complete_at is not None and step.results == RETRY
    log = await data.db.logs.get_log(logid)
    assert log.complete and log.num_lines == 1
    request = await data.db.buildrequests.get_build_request(running.brid)
    assert not request.claimed and not request.complete
    assert (await data.db.builds.get_build(done.buildid)).results == 0  # finished work stays
    theirs = await data.db.buildrequests.get_build_request(elsewhere.brid)
    assert theirs.claimed and theirs.claimed_by_masterid == other  # another master's is kept
    assert await recover_master(data, setup.masterid) == 0  # nothing left the second time


@pytest_twisted.ensureDeferred
async def test_pending_requests_load_with_properties_and_stamps_in_one_go(
    data: RecordingData,
) -> None:
    from marid.process.buildrequest import load_requests

    setup = await master_with_builders(data, "a", "b")
    a, b = setup.builderids["a"], setup.builderids["b"]
    bsid, brids = await data.buildsets.add_buildset(
        scheduler="s",
        sourcestamps=[{"codebase": "app", "branch": "main", "repository": "r"}],
        reason="why",
        properties={"p": (1, "Test")},
        builderids=[a, b],
        priority=3,
    )
    claimed = await started_build(data, setup, "a")
    requests = await data.db.pool.run(load_requests, {a: "a"})
    assert [r.id for r in requests] == [brids[a]]  # b is not asked for, the claimed one is gone
    request = requests[0]
    assert (request.bsid, request.buildername, request.priority, request.reason) == (
        bsid, "a", 3, "why",
    )  # fmt: skip
    assert request.properties.getProperty("p") == 1
    assert request.properties.getProperty("scheduler") == "s"
    assert request.sources["app"]["branch"] == "main" and not request.has_patch
    assert claimed.brid not in [r.id for r in requests]
