"""Masters, builders and workers through the data API: what is stored, what is published."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.data.errors import InvalidPathError, InvalidQueryError, NotFoundError
from tests.fixtures.data import RecordingData

MASTER_KEYS = {"masterid", "name", "active", "last_active"}
BUILDER_KEYS = {
    "builderid",
    "name",
    "description",
    "description_format",
    "description_html",
    "masterids",
    "projectid",
    "tags",
}
WORKER_KEYS = {
    "workerid",
    "name",
    "workerinfo",
    "paused",
    "pause_reason",
    "graceful",
    "configured_on",
    "connected_to",
}


@pytest_twisted.ensureDeferred
async def test_master_heartbeat_publishes_started_once_and_expiry_stops_it(
    data: RecordingData,
) -> None:
    mid = await data.masters.find_master_id("host:/srv/m1")
    assert await data.masters.find_master_id("host:/srv/m1") == mid
    await data.masters.master_active("host:/srv/m1", mid)
    await data.masters.master_active("host:/srv/m1", mid)
    assert data.keys("masters/") == [f"masters/{mid}/started"]
    result, _ = await data.get("masters")
    assert result.total == 1
    (master,) = result.items
    assert set(master) == MASTER_KEYS
    assert master["active"] is True and master["last_active"] == int(data.clock.now)

    data.clock.advance(601)
    assert await data.masters.expire_masters() == [mid]
    assert data.keys("masters/")[-1] == f"masters/{mid}/stopped"
    result, _ = await data.get(f"masters/{mid}")
    assert result.items[0]["active"] is False


@pytest_twisted.ensureDeferred
async def test_builder_list_and_info_are_stored_and_published(data: RecordingData) -> None:
    mid = await data.masters.find_master_id("m")
    ids = await data.builders.update_builder_list(mid, ["linux", "windows"])
    await data.builders.update_builder_info(
        ids["linux"], description="Linux builds", tags=["os", "fast"]
    )
    assert data.keys("builders/") == [
        f"builders/{ids['linux']}/started",
        f"builders/{ids['windows']}/started",
        f"builders/{ids['linux']}/updated",
    ]
    result, _ = await data.get("builders/linux")
    (linux,) = result.items
    assert set(linux) == BUILDER_KEYS
    assert linux["tags"] == ["fast", "os"]
    assert linux["masterids"] == [mid]
    assert linux["description"] == "Linux builds"

    await data.builders.update_builder_list(mid, ["linux"])
    assert data.keys("builders/")[-1] == f"builders/{ids['windows']}/stopped"
    result, _ = await data.get(f"masters/{mid}/builders")
    assert [b["name"] for b in result.items] == ["linux"]
    result, _ = await data.get("builders")
    assert {b["name"]: b["masterids"] for b in result.items} == {"linux": [mid], "windows": []}


@pytest_twisted.ensureDeferred
async def test_builders_are_filtered_ordered_and_paged(data: RecordingData) -> None:
    mid = await data.masters.find_master_id("m")
    await data.builders.update_builder_list(mid, [f"b{i:02d}" for i in range(12)])
    result, _ = await data.get(
        "builders", {"order": ["-builderid"], "limit": ["3"], "offset": ["1"]}
    )
    assert [b["name"] for b in result.items] == ["b10", "b09", "b08"]
    assert result.total == 12
    result, _ = await data.get("builders", {"name__contains": ["b1"], "field": ["name"]})
    assert result.items == [{"name": "b10"}, {"name": "b11"}]
    result, _ = await data.get("builders", {"builderid__in": ["1,3"], "order": ["name"]})
    assert [b["name"] for b in result.items] == ["b00", "b02"]


@pytest_twisted.ensureDeferred
async def test_worker_configuration_and_connection_are_tracked(data: RecordingData) -> None:
    mid = await data.masters.find_master_id("m")
    ids = await data.builders.update_builder_list(mid, ["a", "b"])
    wid = await data.workers.find_worker_id("w1")
    other = await data.workers.find_worker_id("w2")
    await data.workers.worker_configured(wid, mid, [ids["a"], ids["b"]])
    await data.workers.worker_configured(other, mid, [ids["b"]])
    await data.workers.worker_connected(wid, mid, {"admin": "me", "numcpus": 2})
    assert data.keys("workers/") == [f"workers/{wid}/connected"]

    result, _ = await data.get("workers/w1")
    (w1,) = result.items
    assert set(w1) == WORKER_KEYS
    assert w1["workerinfo"] == {"admin": "me", "numcpus": 2}
    assert w1["configured_on"] == [
        {"builderid": ids["a"], "masterid": mid},
        {"builderid": ids["b"], "masterid": mid},
    ]
    assert w1["connected_to"] == [{"masterid": mid}]
    result, _ = await data.get(f"builders/{ids['a']}/workers")
    assert [w["name"] for w in result.items] == ["w1"]
    result, _ = await data.get(f"builders/{ids['b']}/workers")
    assert [w["name"] for w in result.items] == ["w1", "w2"]

    await data.workers.set_worker_state(
        wid, paused=True, graceful=False, pause_reason="maintenance"
    )
    result, _ = await data.get("workers", {"paused": ["true"]})
    assert [(w["name"], w["pause_reason"]) for w in result.items] == [("w1", "maintenance")]

    await data.workers.worker_disconnected(wid, mid)
    await data.workers.deconfigure_all_except(mid, [other])
    result, _ = await data.get("workers/w1")
    assert result.items[0]["connected_to"] == [] and result.items[0]["configured_on"] == []
    assert data.keys("workers/")[-2:] == [
        f"workers/{wid}/state_updated",
        f"workers/{wid}/disconnected",
    ]


@pytest_twisted.ensureDeferred
async def test_master_stopped_releases_its_workers_and_builders(data: RecordingData) -> None:
    mid = await data.masters.find_master_id("m")
    ids = await data.builders.update_builder_list(mid, ["a"])
    wid = await data.workers.find_worker_id("w")
    await data.workers.worker_configured(wid, mid, [ids["a"]])
    await data.workers.worker_connected(wid, mid, {})
    await data.masters.master_active("m", mid)
    await data.masters.master_stopped("m", mid)
    worker = (await data.get("workers/w"))[0].items[0]
    assert worker["connected_to"] == [] and worker["configured_on"] == []
    assert (await data.get("builders/a"))[0].items[0]["masterids"] == []


@pytest_twisted.ensureDeferred
async def test_bad_paths_and_queries_raise_data_errors(data: RecordingData) -> None:
    with pytest.raises(InvalidPathError, match="Invalid path: nosuch"):
        await data.get("nosuch")
    with pytest.raises(NotFoundError):
        await data.get("workers/99")
    with pytest.raises(NotFoundError):
        await data.get("builders/nosuchbuilder")
    with pytest.raises(InvalidQueryError, match="invalid limit"):
        await data.get("workers", {"limit": ["x"]})


@pytest_twisted.ensureDeferred
async def test_a_stopped_master_frees_its_scheduler_and_change_source_claims(
    data: RecordingData,
) -> None:
    first = await data.masters.find_master_id("m1")
    second = await data.masters.find_master_id("m2")
    schedulerid = await data.schedulers.find_scheduler_id("nightly")
    sourceid = await data.changesources.find_changesource_id("poller")
    assert await data.schedulers.set_scheduler_master(schedulerid, first)
    assert await data.changesources.set_changesource_master(sourceid, first)
    assert not await data.schedulers.set_scheduler_master(schedulerid, second)
    await data.masters.master_active("m1", first)
    data.clock.advance(601)
    await data.masters.expire_masters()
    assert await data.schedulers.set_scheduler_master(schedulerid, second)
    assert await data.changesources.set_changesource_master(sourceid, second)
