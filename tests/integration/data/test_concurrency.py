"""Racing writers: build numbers, claims and log appends stay consistent under concurrency.

On PostgreSQL and MariaDB the pool runs several transactions at once, so these
calls really overlap; a second DBConnector plays a second master.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer, reactor

from marid.data.buildrequests import AlreadyClaimedError
from marid.data.connector import DataConnector
from marid.db.connector import DBConnector
from marid.mq.simple import SimpleMQ
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import forced_buildset, master_with_builders


@pytest.fixture
def second_master(data: RecordingData, db_url: str, tmp_path: Any) -> Iterator[DataConnector]:
    db = DBConnector(db_url, reactor, basedir=str(tmp_path))
    db.start()
    yield DataConnector(db, SimpleMQ(), data.clock.seconds)
    db.stop()


@pytest_twisted.ensureDeferred
async def test_concurrent_builds_of_one_builder_get_distinct_consecutive_numbers(
    data: RecordingData, second_master: DataConnector
) -> None:
    setup = await master_with_builders(data)
    builderid = setup.builderids["hello"]
    _, brids = await forced_buildset(data, [builderid])
    brid = brids[builderid]
    calls = [
        defer.Deferred.fromCoroutine(
            connector.builds.add_build(builderid, brid, setup.workerid, setup.masterid, "x")
        )
        for _ in range(6)
        for connector in (data, second_master)
    ]
    results = await defer.gatherResults(calls, consumeErrors=True)
    assert sorted(number for _, number in results) == list(range(1, 13))


@pytest_twisted.ensureDeferred
async def test_two_masters_claiming_the_same_requests_exactly_one_wins(
    data: RecordingData, second_master: DataConnector
) -> None:
    setup = await master_with_builders(data, "a", "b")
    other = await data.masters.find_master_id("other")
    for _ in range(5):
        _, brids = await forced_buildset(data, list(setup.builderids.values()))
        wanted = sorted(brids.values())
        attempts = [
            defer.Deferred.fromCoroutine(
                data.buildrequests.claim_build_requests(wanted, setup.masterid)
            ),
            defer.Deferred.fromCoroutine(
                second_master.buildrequests.claim_build_requests(wanted, other)
            ),
        ]
        outcomes = await defer.DeferredList(attempts, consumeErrors=True)
        failures = [result for ok, result in outcomes if not ok]
        assert len(failures) == 1 and failures[0].check(AlreadyClaimedError)
        result, _ = await data.get(
            "buildrequests", {"buildrequestid__in": [",".join(map(str, wanted))]}
        )
        assert len({r["claimed_by_masterid"] for r in result.items}) == 1, "all or nothing"


@pytest_twisted.ensureDeferred
async def test_overlapping_appends_to_one_log_keep_lines_contiguous(data: RecordingData) -> None:
    setup = await master_with_builders(data)
    builderid = setup.builderids["hello"]
    _, brids = await forced_buildset(data, [builderid])
    buildid, _ = await data.builds.add_build(builderid, brids[builderid], None, setup.masterid, "x")
    stepid, _, _ = await data.steps.add_step(buildid, "s")
    logid = await data.logs.add_log(stepid, "stdio", "s")
    appends = [
        defer.Deferred.fromCoroutine(data.logs.append_log(logid, f"oa{i}\nob{i}\n"))
        for i in range(10)
    ]
    ranges = sorted(await defer.gatherResults(appends, consumeErrors=True))
    assert ranges == [(2 * i, 2 * i + 1) for i in range(10)]
    result, _ = await data.get(f"logs/{logid}/contents")
    lines = result.items[0]["content"].splitlines()
    assert len(lines) == 20 and sorted(lines) == sorted(f"o{c}{i}" for i in range(10) for c in "ab")
    assert all(lines[k][2:] == lines[k + 1][2:] for k in range(0, 20, 2)), "appends stay whole"
