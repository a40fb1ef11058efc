"""Schedulers and change sources claimed by one master at a time; object state kept as JSON."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.data.errors import NotFoundError
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import MASTER_KEYS, SCHEDULER_KEYS


@pytest_twisted.ensureDeferred
async def test_a_scheduler_runs_on_one_master_and_can_be_disabled(data: RecordingData) -> None:
    m1 = await data.masters.find_master_id("m1")
    m2 = await data.masters.find_master_id("m2")
    sid = await data.schedulers.find_scheduler_id("nightly")
    assert await data.schedulers.find_scheduler_id("nightly") == sid
    other = await data.schedulers.find_scheduler_id("force")

    result, _ = await data.get(f"schedulers/{sid}")
    (scheduler,) = result.items
    assert set(scheduler) == SCHEDULER_KEYS
    assert scheduler == {"schedulerid": sid, "name": "nightly", "enabled": True, "master": None}

    assert await data.schedulers.set_scheduler_master(sid, m1) is True
    assert await data.schedulers.set_scheduler_master(sid, m1) is True, "claiming again is fine"
    assert await data.schedulers.set_scheduler_master(sid, m2) is False
    result, _ = await data.get(f"masters/{m1}/schedulers/{sid}")
    master = result.items[0]["master"]
    assert set(master) == MASTER_KEYS and master["masterid"] == m1 and master["name"] == "m1"
    with pytest.raises(NotFoundError):
        await data.get(f"masters/{m2}/schedulers/{sid}")
    result, _ = await data.get(f"masters/{m1}/schedulers")
    assert [s["schedulerid"] for s in result.items] == [sid]

    assert await data.schedulers.set_scheduler_master(sid, None) is True
    assert await data.schedulers.set_scheduler_master(sid, m2) is True

    await data.schedulers.set_scheduler_enabled(other, False)
    assert data.keys("schedulers/") == [f"schedulers/{other}/updated"]
    assert data.events[-1][1]["enabled"] is False
    result, _ = await data.get("schedulers", {"enabled": ["false"]})
    assert [s["name"] for s in result.items] == ["force"]
    result, _ = await data.get("schedulers", {"order": ["-name"], "field": ["name", "master"]})
    assert [s["name"] for s in result.items] == ["nightly", "force"]
    assert result.items[0]["master"]["masterid"] == m2 and result.items[1]["master"] is None


@pytest_twisted.ensureDeferred
async def test_scheduler_enable_control_action(data: RecordingData) -> None:
    sid = await data.schedulers.find_scheduler_id("nightly")
    endpoint, args = data.lookup(f"schedulers/{sid}")
    assert endpoint.actions == {"enable": "enable"}
    await endpoint.enable({"enabled": False}, args)
    result, _ = await data.get(f"schedulers/{sid}")
    assert result.items[0]["enabled"] is False


@pytest_twisted.ensureDeferred
async def test_change_classifications_are_kept_until_flushed(data: RecordingData) -> None:
    sid = await data.schedulers.find_scheduler_id("branches")
    main = await data.changes.add_change(author="a", branch="main")
    dev = await data.changes.add_change(author="a", branch="dev")
    await data.schedulers.classify_changes(sid, {main: True, dev: False})
    await data.schedulers.classify_changes(sid, {dev: True})
    assert await data.db.schedulers.get_change_classifications(sid) == {main: True, dev: True}
    assert await data.db.schedulers.get_change_classifications(sid, branch="dev") == {dev: True}
    await data.schedulers.flush_change_classifications(sid, less_than=dev)
    assert await data.db.schedulers.get_change_classifications(sid) == {dev: True}
    await data.schedulers.flush_change_classifications(sid)
    assert await data.db.schedulers.get_change_classifications(sid) == {}


@pytest_twisted.ensureDeferred
async def test_a_change_source_runs_on_one_master(data: RecordingData) -> None:
    m1 = await data.masters.find_master_id("m1")
    m2 = await data.masters.find_master_id("m2")
    cid = await data.changesources.find_changesource_id("GitPoller:repo")
    assert await data.changesources.set_changesource_master(cid, m1) is True
    assert await data.changesources.set_changesource_master(cid, m2) is False
    result, _ = await data.get(f"changesources/{cid}")
    (source,) = result.items
    assert set(source) == {"changesourceid", "name", "master"}
    assert source["name"] == "GitPoller:repo" and source["master"]["masterid"] == m1
    result, _ = await data.get(f"masters/{m2}/changesources")
    assert result.items == []
    result, _ = await data.get(f"masters/{m1}/changesources/{cid}")
    assert result.items[0]["changesourceid"] == cid
    result, _ = await data.get("changesources", {"name__contains": ["Git"]})
    assert result.total == 1
    with pytest.raises(NotFoundError):
        await data.get("changesources/999")


@pytest_twisted.ensureDeferred
async def test_object_state_round_trips_json_values(data: RecordingData) -> None:
    state = data.db.state
    objectid = await state.get_object_id("poller", "GitPoller")
    assert await state.get_object_id("poller", "GitPoller") == objectid
    assert await state.get_object_id("poller", "SVNPoller") != objectid
    with pytest.raises(KeyError):
        await state.get_state(objectid, "last_rev")
    assert await state.get_state(objectid, "last_rev", None) is None
    await state.set_state(objectid, "last_rev", {"main": "abc", "n": [1, 2]})
    assert await state.get_state(objectid, "last_rev") == {"main": "abc", "n": [1, 2]}
    await state.set_state(objectid, "last_rev", "def")
    assert await state.get_state(objectid, "last_rev") == "def"
