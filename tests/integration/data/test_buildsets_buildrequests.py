"""Buildsets and build requests: creation in one go, claims, completion, filters in SQL."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.data.buildrequests import AlreadyClaimedError
from marid.data.errors import NotFoundError
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import (
    BUILDREQUEST_KEYS,
    BUILDSET_KEYS,
    SOURCESTAMP_KEYS,
    SqlLog,
    forced_buildset,
    master_with_builders,
)

SUCCESS, WARNINGS, FAILURE = 0, 1, 2


@pytest_twisted.ensureDeferred
async def test_add_buildset_stores_requests_per_builder_and_publishes_them(
    data: RecordingData,
) -> None:
    setup = await master_with_builders(data, "a", "b")
    a, b = setup.builderids["a"], setup.builderids["b"]
    ssid = await data.sourcestamps.find_sourcestamp_id(branch="main", revision="r1")
    bsid, brids = await data.buildsets.add_buildset(
        scheduler="sched",
        sourcestamps=[ssid, {"branch": "dev", "codebase": "other"}],
        reason="because",
        properties={"color": ("red", "Test")},
        builderids=[a, b],
        external_idstring="ext-1",
        priority=5,
    )
    assert sorted(brids) == [a, b]
    assert data.keys("buildsets/") == [f"buildsets/{bsid}/new"]
    assert data.events[-3][1]["scheduler"] == "sched"
    assert data.keys("buildrequests/") == [
        f"buildrequests/{brids[a]}/new",
        f"buildrequests/{brids[b]}/new",
    ]
    assert data.events[-1][1]["builderid"] == b

    result, _ = await data.get(f"buildsets/{bsid}")
    (buildset,) = result.items
    assert set(buildset) == BUILDSET_KEYS
    assert buildset["complete"] is False and buildset["results"] is None
    assert buildset["reason"] == "because" and buildset["external_idstring"] == "ext-1"
    assert buildset["submitted_at"] == int(data.clock.now)
    assert buildset["sourcestamps"][0]["ssid"] == ssid
    assert all(set(s) == SOURCESTAMP_KEYS for s in buildset["sourcestamps"])
    assert buildset["sourcestamps"][1]["codebase"] == "other"

    result, _ = await data.get(f"buildsets/{bsid}/properties")
    assert result.items == [{"color": ["red", "Test"], "scheduler": ["sched", "Scheduler"]}]

    result, _ = await data.get(f"buildrequests/{brids[a]}")
    (request,) = result.items
    assert set(request) == BUILDREQUEST_KEYS
    assert request == {
        "buildrequestid": brids[a],
        "buildsetid": bsid,
        "builderid": a,
        "priority": 5,
        "claimed": False,
        "claimed_at": None,
        "claimed_by_masterid": None,
        "complete": False,
        "results": None,
        "submitted_at": int(data.clock.now),
        "complete_at": None,
        "waited_for": False,
        "properties": None,
    }
    result, _ = await data.get(f"buildrequests/{brids[a]}", {"property": ["color"]})
    assert result.items[0]["properties"] == {"color": ["red", "Test"]}
    result, _ = await data.get("builders/b/buildrequests", {"property": ["*"]})
    assert [r["buildrequestid"] for r in result.items] == [brids[b]]
    assert set(result.items[0]["properties"]) == {"color", "scheduler"}
    with pytest.raises(NotFoundError):
        await data.get("buildsets/999")
    with pytest.raises(NotFoundError):
        await data.get("buildrequests/999")


@pytest_twisted.ensureDeferred
async def test_claiming_is_all_or_nothing_and_a_second_claim_fails(data: RecordingData) -> None:
    setup = await master_with_builders(data, "a", "b")
    other = await data.masters.find_master_id("host:/srv/other")
    _, brids = await forced_buildset(data, list(setup.builderids.values()))
    first, second = brids[setup.builderids["a"]], brids[setup.builderids["b"]]

    await data.buildrequests.claim_build_requests([first], setup.masterid)
    assert data.keys("buildrequests/")[-1] == f"buildrequests/{first}/claimed"
    with pytest.raises(AlreadyClaimedError):
        await data.buildrequests.claim_build_requests([second, first], other)
    result, _ = await data.get(f"buildrequests/{second}")
    assert result.items[0]["claimed"] is False, "the failed claim took nothing"
    result, _ = await data.get(f"buildrequests/{first}")
    assert result.items[0]["claimed_by_masterid"] == setup.masterid
    assert result.items[0]["claimed_at"] == int(data.clock.now)

    await data.buildrequests.unclaim_build_requests([first], other)
    result, _ = await data.get("buildrequests", {"claimed": ["true"]})
    assert [r["buildrequestid"] for r in result.items] == [first], "not other's to release"
    await data.buildrequests.unclaim_build_requests([first], setup.masterid)
    assert data.keys("buildrequests/")[-1] == f"buildrequests/{first}/unclaimed"
    await data.buildrequests.claim_build_requests([first, second], other)
    result, _ = await data.get("buildrequests", {"claimed_by_masterid": [str(other)]})
    assert [r["buildrequestid"] for r in result.items] == [first, second]


@pytest_twisted.ensureDeferred
async def test_buildset_completes_with_the_worst_result_once_all_requests_are_done(
    data: RecordingData,
) -> None:
    setup = await master_with_builders(data, "a", "b")
    bsid, brids = await forced_buildset(data, list(setup.builderids.values()))
    first, second = brids[setup.builderids["a"]], brids[setup.builderids["b"]]
    await data.buildrequests.claim_build_requests([first, second], setup.masterid)

    data.clock.advance(30)
    await data.buildrequests.complete_build_requests([first], WARNINGS)
    assert data.keys("buildsets/") == [f"buildsets/{bsid}/new"]
    result, _ = await data.get("buildrequests", {"complete": ["false"]})
    assert [r["buildrequestid"] for r in result.items] == [second]

    data.clock.advance(30)
    await data.buildrequests.complete_build_requests([second], FAILURE)
    assert data.keys("buildsets/")[-1] == f"buildsets/{bsid}/complete"
    assert data.keys("buildrequests/")[-1] == f"buildrequests/{second}/complete"
    result, _ = await data.get(f"buildsets/{bsid}")
    (buildset,) = result.items
    assert buildset["complete"] is True and buildset["results"] == FAILURE
    assert buildset["complete_at"] == int(data.clock.now)
    assert await data.buildsets.maybe_buildset_complete(bsid) is False, "completes only once"
    result, _ = await data.get(f"buildrequests/{first}")
    assert result.items[0]["results"] == WARNINGS and result.items[0]["complete"] is True
    result, _ = await data.get("buildsets", {"complete": ["true"]})
    assert [b["bsid"] for b in result.items] == [bsid]


@pytest_twisted.ensureDeferred
async def test_request_filters_order_and_paging_run_in_sql(data: RecordingData) -> None:
    setup = await master_with_builders(data, "a", "b")
    a = setup.builderids["a"]
    for _ in range(3):
        await forced_buildset(data, list(setup.builderids.values()))
    sql = SqlLog(data.db.engine)
    with sql.recording() as statements:
        result, _ = await data.get(
            "buildrequests",
            {
                "builderid": [str(a)],
                "claimed": ["false"],
                "order": ["-buildrequestid"],
                "limit": ["2"],
            },
        )
    assert [r["builderid"] for r in result.items] == [a, a]
    assert result.items[0]["buildrequestid"] > result.items[1]["buildrequestid"]
    assert result.total == 3
    page = [s for s in statements if "LIMIT" in s.upper() and "buildrequests" in s]
    assert page, statements
    assert "buildrequest_claims" in page[0] and "ORDER BY" in page[0].upper()
    result, _ = await data.get(
        "buildrequests", {"buildrequestid__in": ["1,2"], "waited_for": ["false"]}
    )
    assert [r["buildrequestid"] for r in result.items] == [1, 2]


@pytest_twisted.ensureDeferred
async def test_completing_requests_again_completes_a_buildset_an_earlier_attempt_left_open(
    data: RecordingData,
) -> None:
    setup = await master_with_builders(data, "a")
    bsid, brids = await forced_buildset(data, list(setup.builderids.values()))
    (brid,) = brids.values()
    await data.buildrequests.claim_build_requests([brid], setup.masterid)
    # An attempt that stored the request's end, then failed before the buildset's.
    await data.db.buildrequests.complete_build_requests([brid], FAILURE, data.clock.now)

    await data.buildrequests.complete_build_requests([brid], FAILURE)
    result, _ = await data.get(f"buildsets/{bsid}")
    assert result.items[0]["complete"] is True and result.items[0]["results"] == FAILURE
