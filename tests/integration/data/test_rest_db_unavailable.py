"""REST while the SQLite file is locked by another process: reads answer, writes give up.

Another connection holds ``BEGIN EXCLUSIVE`` on ``state.sqlite`` (as a backup
tool or a second program might). A write of the master waits in its retries;
REST reads are served meanwhile from the reader threads, and a write that is
still locked out after ``c['db']['timeout']`` fails with ``DatabaseUnavailable``,
which the API answers with 503 and the reason.
"""

from __future__ import annotations

import sqlite3
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import defer, reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

from marid.data.connector import DataConnector
from marid.db.connector import DBConnector
from marid.db.errors import DatabaseUnavailable
from marid.db.migrate import upgrade
from marid.mq.simple import SimpleMQ
from marid.www.rest import RestResource
from tests.fixtures.data import Clock, RecordingData
from tests.fixtures.http import Client
from tests.integration.data.scenario import master_with_builders, started_build

TIMEOUT = 5.0


@pytest.fixture
def locked_data(tmp_path: Path, clock: Clock) -> Iterator[RecordingData]:
    db = DBConnector("sqlite:///state.sqlite", reactor, basedir=str(tmp_path), timeout=TIMEOUT)
    upgrade(db.engine)
    db.start()
    connector = RecordingData(db, SimpleMQ(), clock.seconds)
    connector.events = []
    connector.clock = clock
    yield connector
    db.stop()


@pytest_twisted.async_yield_fixture()
async def client(locked_data: DataConnector) -> AsyncIterator[Client]:
    root, api = Resource(), Resource()
    root.putChild(b"api", api)
    api.putChild(b"v2", RestResource(locked_data))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    yield Client(f"http://127.0.0.1:{port.getHost().port}/api/v2")
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_rest_reads_answer_while_a_write_waits_for_an_exclusive_lock(
    locked_data: RecordingData, client: Client, tmp_path: Path
) -> None:
    build = await started_build(locked_data, await master_with_builders(locked_data))
    other = sqlite3.connect(tmp_path / "state.sqlite", isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    try:
        write = defer.Deferred.fromCoroutine(
            locked_data.builds.set_build_state_string(build.buildid, "compiling")
        )
        for path in (f"/builds/{build.buildid}", "/builders", "/buildrequests", "/workers"):
            response = await client.get(path)
            assert response.status == 200, (path, response.json())
        assert not write.called  # the write is still waiting for the lock
        failures: list[BaseException] = []
        write.addErrback(lambda f: failures.append(f.value))
        await write
        assert isinstance(failures[0], DatabaseUnavailable)
        assert failures[0].reason == "database is locked (still after 5 s)"
        body = (await client.get(f"/builds/{build.buildid}")).json()
        assert body["builds"][0]["state_string"] != "compiling"
    finally:
        other.close()


@pytest_twisted.ensureDeferred
async def test_a_read_the_database_cannot_serve_answers_503_with_the_reason(
    locked_data: RecordingData, client: Client
) -> None:
    locked_data.db.pool.stop()  # from now on every call fails as unavailable
    response = await client.get("/builders")
    assert response.status == 503
    assert response.json() == {"error": "the database is unavailable: the master is stopping"}
    assert response.header("retry-after") == "5"
