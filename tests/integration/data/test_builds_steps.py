"""Builds and steps: numbering, state, properties, events, every path form, SQL pushdown."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.data.errors import InvalidQueryError, NotFoundError
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import (
    BUILD_KEYS,
    STEP_KEYS,
    SqlLog,
    master_with_builders,
    started_build,
)

SUCCESS, FAILURE = 0, 2


@pytest_twisted.ensureDeferred
async def test_builds_are_numbered_per_builder_and_published(data: RecordingData) -> None:
    setup = await master_with_builders(data, "a", "b")
    a1 = await started_build(data, setup, "a")
    a2 = await started_build(data, setup, "a")
    b1 = await started_build(data, setup, "b")
    assert (a1.number, a2.number, b1.number) == (1, 2, 1)
    assert data.keys("builds/") == [f"builds/{b.buildid}/new" for b in (a1, a2, b1)]

    data.clock.advance(5)
    await data.builds.set_build_state_string(a1.buildid, "compiling")
    await data.builds.add_build_locks_duration(a1.buildid, 3)
    await data.builds.finish_build(a1.buildid, FAILURE)
    assert data.keys(f"builds/{a1.buildid}/") == [
        f"builds/{a1.buildid}/new",
        f"builds/{a1.buildid}/update",
        f"builds/{a1.buildid}/update",
        f"builds/{a1.buildid}/finished",
    ]
    finished = data.events[-1][1]
    assert finished["complete"] is True and finished["results"] == FAILURE

    result, _ = await data.get(f"builds/{a1.buildid}")
    (build,) = result.items
    assert set(build) == BUILD_KEYS
    assert build == {
        "buildid": a1.buildid,
        "number": 1,
        "builderid": setup.builderids["a"],
        "buildrequestid": a1.brid,
        "workerid": setup.workerid,
        "masterid": setup.masterid,
        "started_at": int(data.clock.now) - 5,
        "complete_at": int(data.clock.now),
        "complete": True,
        "locks_duration_s": 3,
        "state_string": "compiling",
        "results": FAILURE,
        "properties": {},
    }
    for path in ("builders/a/builds/2", f"builders/{setup.builderids['a']}/builds/2"):
        result, _ = await data.get(path)
        assert result.items[0]["buildid"] == a2.buildid
    for path in ("builders/a/builds", f"builders/{setup.builderids['a']}/builds"):
        result, _ = await data.get(path)
        assert [b["buildid"] for b in result.items] == [a1.buildid, a2.buildid]
    result, _ = await data.get(f"buildrequests/{b1.brid}/builds")
    assert [b["buildid"] for b in result.items] == [b1.buildid]
    result, _ = await data.get(f"workers/{setup.workerid}/builds")
    assert result.total == 3
    result, _ = await data.get(f"masters/{setup.masterid}/builds", {"complete": ["true"]})
    assert [b["buildid"] for b in result.items] == [a1.buildid]
    for missing in ("builds/999", "builders/a/builds/9", "builders/nosuch/builds/1"):
        with pytest.raises(NotFoundError):
            await data.get(missing)
    result, _ = await data.get("builders/nosuch/builds")
    assert result.items == [] and result.total == 0


@pytest_twisted.ensureDeferred
async def test_complete_order_and_limit_filter_builds_in_sql(data: RecordingData) -> None:
    setup = await master_with_builders(data)
    builds = [await started_build(data, setup) for _ in range(4)]
    await data.builds.finish_build(builds[0].buildid, SUCCESS)
    sql = SqlLog(data.db.engine)
    with sql.recording() as statements:
        result, _ = await data.get(
            "builds", {"complete": ["false"], "order": ["-buildid"], "limit": ["2"]}
        )
    assert [b["buildid"] for b in result.items] == [builds[3].buildid, builds[2].buildid]
    assert result.total == 3
    page = next(s for s in statements if "LIMIT" in s.upper())
    assert "complete_at IS NULL" in page, page
    assert "DESC" in page.upper()
    result, _ = await data.get(
        "builds", {"state_string__contains": ["build"], "buildid__gt": ["2"]}
    )
    assert [b["buildid"] for b in result.items] == [builds[2].buildid, builds[3].buildid]
    result, _ = await data.get("builds", {"results__in": ["0,2"]})
    assert [b["buildid"] for b in result.items] == [builds[0].buildid]
    with pytest.raises(InvalidQueryError):
        await data.get("builds", {"properties": ["x"]})


@pytest_twisted.ensureDeferred
async def test_properties_are_json_with_source_and_only_returned_when_asked(
    data: RecordingData,
) -> None:
    setup = await master_with_builders(data)
    first = await started_build(data, setup)
    second = await started_build(data, setup)
    await data.builds.set_build_properties(
        first.buildid, {"owners": (["me"], "Force"), "buildnumber": (1, "Build"), "x": (None, "X")}
    )
    await data.builds.set_build_property(second.buildid, "owners", ["you"], "Force")
    await data.builds.set_build_property(second.buildid, "owners", ["you"], "Force")
    assert data.keys(f"builds/{second.buildid}/properties") == [
        f"builds/{second.buildid}/properties/update"
    ], "an unchanged value is not published again"
    assert data.events[-1][1] == {"owners": [["you"], "Force"]}

    result, _ = await data.get(f"builds/{first.buildid}/properties")
    assert result.items == [
        {"owners": [["me"], "Force"], "buildnumber": [1, "Build"], "x": [None, "X"]}
    ]
    result, _ = await data.get(f"builds/{first.buildid}")
    assert result.items[0]["properties"] == {}

    sql = SqlLog(data.db.engine)
    with sql.recording() as statements:
        result, _ = await data.get("builds", {"property": ["owners"]})
    assert [b["properties"] for b in result.items] == [
        {"owners": [["me"], "Force"]},
        {"owners": [["you"], "Force"]},
    ]
    assert len([s for s in statements if "build_properties" in s]) == 1, "one query per page"
    result, _ = await data.get(f"builds/{first.buildid}", {"property": ["*"]})
    assert set(result.items[0]["properties"]) == {"owners", "buildnumber", "x"}
    result, _ = await data.get("builders/hello/builds/1/properties")
    assert "owners" in result.items[0]

    await data.builds.add_build_data(first.buildid, "junit", b"<xml/>", "TestStep")
    stored = await data.db.builds.get_build_data(first.buildid, "junit")
    assert stored is not None
    assert (stored.value, stored.length, stored.source) == (b"<xml/>", 6, "TestStep")
    with pytest.raises(NotFoundError):
        await data.get("builds/999/properties")


@pytest_twisted.ensureDeferred
async def test_steps_are_numbered_named_uniquely_and_published(data: RecordingData) -> None:
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    first = await data.steps.add_step(build.buildid, "compile")
    second = await data.steps.add_step(build.buildid, "compile")
    third = await data.steps.add_step(build.buildid, "compile")
    assert [(s[1], s[2]) for s in (first, second, third)] == [
        (0, "compile"),
        (1, "compile_1"),
        (2, "compile_2"),
    ]
    stepid = first[0]
    data.clock.advance(1)
    await data.steps.start_step(stepid, locks_acquired=True)
    await data.steps.set_step_state_string(stepid, "compiling")
    await data.steps.add_step_url(stepid, "report", "http://example.org/r")
    await data.steps.add_step_url(stepid, "report", "http://example.org/r")
    data.clock.advance(2)
    await data.steps.finish_step(stepid, SUCCESS, hidden=True)
    assert data.keys(f"steps/{stepid}/") == [
        f"steps/{stepid}/{event}" for event in ("new", "started", "updated", "updated", "finished")
    ]

    result, _ = await data.get(f"steps/{stepid}")
    (step,) = result.items
    assert set(step) == STEP_KEYS
    assert step == {
        "stepid": stepid,
        "number": 0,
        "name": "compile",
        "buildid": build.buildid,
        "started_at": int(data.clock.now) - 2,
        "locks_acquired_at": int(data.clock.now) - 2,
        "complete_at": int(data.clock.now),
        "complete": True,
        "state_string": "compiling",
        "results": SUCCESS,
        "hidden": True,
        "urls": [{"name": "report", "url": "http://example.org/r"}],
    }
    for path in (
        f"builds/{build.buildid}/steps/0",
        f"builds/{build.buildid}/steps/compile",
        "builders/hello/builds/1/steps/compile",
        f"builders/{setup.builderids['hello']}/builds/1/steps/0",
    ):
        result, _ = await data.get(path)
        assert result.items[0]["stepid"] == stepid, path
    result, _ = await data.get(f"builds/{build.buildid}/steps", {"complete": ["false"]})
    assert [s["name"] for s in result.items] == ["compile_1", "compile_2"]
    result, _ = await data.get(
        "builders/hello/builds/1/steps", {"order": ["-number"], "limit": ["1"]}
    )
    assert [s["number"] for s in result.items] == [2] and result.total == 3
    for missing in (
        f"builds/{build.buildid}/steps/9",
        "steps/999",
        "builders/hello/builds/3/steps/0",
    ):
        with pytest.raises(NotFoundError):
            await data.get(missing)
