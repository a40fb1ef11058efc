"""The UI's aggregate endpoints ``ui/home``, ``ui/builders`` and ``ui/build/N`` over HTTP."""

from __future__ import annotations

import pytest
import pytest_twisted

from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import (
    BUILD_KEYS,
    LOG_KEYS,
    STEP_KEYS,
    forced_buildset,
    master_with_builders,
    started_build,
)
from tests.integration.www.conftest import Server

pytestmark = pytest.mark.db_backends("sqlite", "postgresql", "mysql")


@pytest_twisted.ensureDeferred
async def test_home_has_running_and_recent_builds_and_summaries(
    data: RecordingData, server: Server
) -> None:
    setup = await master_with_builders(data, "alpha", "beta")
    done = await started_build(data, setup, "alpha")
    await data.builds.finish_build(done.buildid, 0)
    running = await started_build(data, setup, "beta")
    await forced_buildset(data, [setup.builderids["alpha"]])  # stays pending
    await data.workers.worker_connected(setup.workerid, setup.masterid, {})
    body = (await server.http.get("/api/v2/ui/home?recent=10")).json()
    assert [b["buildid"] for b in body["running"]] == [running.buildid]
    assert body["running"][0]["buildername"] == "beta"
    assert [b["buildid"] for b in body["recent"]] == [done.buildid]
    assert set(body["recent"][0]) == BUILD_KEYS | {"buildername"}
    assert body["workers"] == {"total": 1, "connected": 1, "paused": 0}
    assert body["pending"] == 1
    assert body["builders"] == 2
    assert body["inactive_builders"] == 0


@pytest_twisted.ensureDeferred
async def test_builders_view_has_last_builds_newest_first_and_counts(
    data: RecordingData, server: Server
) -> None:
    setup = await master_with_builders(data, "alpha", "beta")
    first = await started_build(data, setup, "alpha")
    await data.builds.finish_build(first.buildid, 2)
    second = await started_build(data, setup, "alpha")
    await forced_buildset(data, [setup.builderids["alpha"]])
    body = (await server.http.get("/api/v2/ui/builders?last=5")).json()
    by_name = {b["name"]: b for b in body["builders"]}
    alpha = by_name["alpha"]
    assert [b["buildid"] for b in alpha["last_builds"]] == [second.buildid, first.buildid]
    assert (alpha["running"], alpha["pending"]) == (1, 1)
    assert by_name["beta"]["last_builds"] == []
    assert (by_name["beta"]["running"], by_name["beta"]["pending"]) == (0, 0)
    assert alpha["masterids"] == [setup.masterid]


@pytest_twisted.ensureDeferred
async def test_builders_no_master_configures_are_left_out_unless_asked_for(
    data: RecordingData, server: Server
) -> None:
    setup = await master_with_builders(data, *[f"old{i}" for i in range(20)], "keep", "new")
    old = await started_build(data, setup, "old3")
    await data.builds.finish_build(old.buildid, 0)
    await data.builders.update_builder_list(setup.masterid, ["keep", "new"])  # a reconfig

    body = (await server.http.get("/api/v2/ui/builders")).json()
    assert [b["name"] for b in body["builders"]] == ["keep", "new"]
    assert body["inactive"] == 20
    body = (await server.http.get("/api/v2/ui/builders?inactive=1")).json()
    assert len(body["builders"]) == 22 and body["inactive"] == 20
    old3 = next(b for b in body["builders"] if b["name"] == "old3")
    assert old3["masterids"] == [] and [b["buildid"] for b in old3["last_builds"]] == [old.buildid]

    home = (await server.http.get("/api/v2/ui/home")).json()
    assert (home["builders"], home["inactive_builders"]) == (2, 20)

    active = (await server.http.get("/api/v2/builders?active=true&field=name")).json()
    assert [b["name"] for b in active["builders"]] == ["keep", "new"]
    assert active["meta"]["total"] == 2
    gone = (await server.http.get("/api/v2/builders?active=false&field=name&limit=3")).json()
    assert [b["name"] for b in gone["builders"]] == ["old0", "old1", "old2"]
    assert gone["meta"]["total"] == 20
    everything = (await server.http.get("/api/v2/builders")).json()
    assert everything["meta"]["total"] == 22


@pytest_twisted.ensureDeferred
async def test_build_view_has_everything_a_build_page_shows(
    data: RecordingData, server: Server
) -> None:
    setup = await master_with_builders(data, "alpha", "child")
    build = await started_build(data, setup, "alpha")
    await data.builds.set_build_property(build.buildid, "owner", "ann", "Force Build Form")
    stepid, _, _ = await data.steps.add_step(build.buildid, "compile")
    logid = await data.logs.add_log(stepid, "stdio", "s")
    await data.logs.append_log(logid, "ohello\n")
    bsid, brids = await data.buildsets.add_buildset(
        scheduler="trigger",
        sourcestamps=[{"branch": "", "revision": "", "repository": "", "project": ""}],
        reason="triggered",
        properties={},
        builderids=[setup.builderids["child"]],
        parent_buildid=build.buildid,
        parent_relationship="trigger",
    )
    child_brid = brids[setup.builderids["child"]]
    await data.buildrequests.claim_build_requests([child_brid], setup.masterid)
    childid, _ = await data.builds.add_build(
        setup.builderids["child"], child_brid, setup.workerid, setup.masterid, "building"
    )
    body = (await server.http.get(f"/api/v2/ui/build/{build.buildid}")).json()
    assert body["build"]["buildid"] == build.buildid
    assert body["build"]["properties"]["owner"] == ["ann", "Force Build Form"]
    assert body["builder"]["name"] == "alpha"
    assert [s["name"] for s in body["steps"]] == ["compile"]
    assert set(body["steps"][0]) == STEP_KEYS | {"logs"}
    assert [set(log) for log in body["steps"][0]["logs"]] == [LOG_KEYS]
    assert body["steps"][0]["logs"][0]["num_lines"] == 1
    assert body["worker"]["name"] == "w1"
    assert body["buildrequest"]["buildrequestid"] == build.brid
    assert [b["buildid"] for b in body["triggered"]] == [childid]
    assert body["parent"] is None
    child = (await server.http.get(f"/api/v2/ui/build/{childid}")).json()
    assert child["parent"]["buildid"] == build.buildid
    assert child["parent"]["buildername"] == "alpha"
    assert bsid > 0


@pytest_twisted.ensureDeferred
async def test_aggregate_views_reject_bad_arguments_and_missing_builds(server: Server) -> None:
    response = await server.http.get("/api/v2/ui/home?recent=lots")
    assert response.status == 400 and "'recent' must be an integer" in response.json()["error"]
    response = await server.http.get("/api/v2/ui/builders?last=100000")
    assert response.status == 400
    response = await server.http.get("/api/v2/ui/builders?inactive=yes")
    assert response.status == 400 and "'inactive' must be an integer" in response.json()["error"]
    response = await server.http.get("/api/v2/ui/build/999")
    assert response.status == 404
