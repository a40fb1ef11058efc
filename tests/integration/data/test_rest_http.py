"""REST over real HTTP: a twisted.web site on 127.0.0.1 and a real client.

The site mounts ``RestResource`` at ``/api/v2`` as the web service does; the
client is ``twisted.web.client.Agent``. SQLite is enough here: the backends are
covered by the other data tests.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

from marid.www.rest import RestResource
from tests.fixtures.data import RecordingData
from tests.fixtures.http import Client
from tests.integration.data.scenario import MASTER_KEYS, master_with_builders, started_build

pytestmark = pytest.mark.db_backends("sqlite")


@pytest_twisted.async_yield_fixture()
async def client(data: RecordingData) -> AsyncIterator[Client]:
    root = Resource()
    api = Resource()
    root.putChild(b"api", api)
    api.putChild(b"v2", RestResource(data))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    yield Client(f"http://127.0.0.1:{port.getHost().port}/api/v2")
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_masters_collection_has_buildbots_shape(data: RecordingData, client: Client) -> None:
    await master_with_builders(data)
    response = await client.get("/masters")
    assert response.status == 200
    assert response.header("content-type") == "application/json; charset=utf-8"
    body = response.json()
    assert set(body) == {"masters", "meta"} and body["meta"] == {"total": 1}
    assert set(body["masters"][0]) == MASTER_KEYS


@pytest_twisted.ensureDeferred
async def test_bad_limit_is_400_and_unknown_path_404(client: Client) -> None:
    response = await client.get("/builds?limit=notanumber")
    assert (response.status, response.json()) == (400, {"error": "invalid limit"})
    response = await client.get("/nosuch")
    assert (response.status, response.json()) == (404, {"error": "Invalid path: nosuch"})
    response = await client.get("/builds/12345")
    assert response.status == 404


@pytest_twisted.ensureDeferred
async def test_entity_and_collection_shapes_over_http(data: RecordingData, client: Client) -> None:
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    await data.builds.set_build_property(build.buildid, "scheduler", "force", "Scheduler")
    body = (await client.get(f"/builds/{build.buildid}?property=*")).json()
    assert body["meta"] == {}
    assert body["builds"][0]["properties"] == {"scheduler": ["force", "Scheduler"]}
    body = (await client.get("/buildrequests?claimed=true&field=buildrequestid")).json()
    assert body == {"buildrequests": [{"buildrequestid": build.brid}], "meta": {"total": 1}}


@pytest_twisted.ensureDeferred
async def test_raw_log_download_is_streamed_as_an_attachment(
    data: RecordingData, client: Client
) -> None:
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    stepid, _, _ = await data.steps.add_step(build.buildid, "shell")
    logid = await data.logs.add_log(stepid, "stdio", "s")
    lines = [f"oline {i} {'x' * 60}\n" for i in range(12_000)]  # ~850 KiB: several chunks
    await data.logs.append_log(logid, "hstarting\n" + "".join(lines))

    response = await client.get(f"/logs/{logid}/raw")
    assert response.status == 200
    assert response.header("content-type") == "text/plain; charset=utf-8"
    disposition = response.header("content-disposition")
    assert disposition == 'attachment; filename="hello_build_1_step_shell_stdio.log"'
    expected = "Builder: hello\nBuild number: 1\nWorker name: w1\nstarting\n"
    expected += "".join(line[1:] for line in lines)
    assert response.body.decode() == expected

    response = await client.get(f"/steps/{stepid}/logs/stdio/raw_inline")
    assert response.status == 200 and response.header("content-disposition") is None
    assert response.body.decode() == expected


@pytest_twisted.ensureDeferred
async def test_json_rpc_to_an_endpoint_without_actions_is_an_error(client: Client) -> None:
    request = {"jsonrpc": "2.0", "id": 7, "method": "stop", "params": {}}
    response = await client.request(b"POST", "/masters", json.dumps(request).encode())
    assert response.status == 400
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["id"] == 7
    assert body["error"]["code"] == -32601
