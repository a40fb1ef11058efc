"""`/api/v2/forceschedulers` over real HTTP: Buildbot's shapes, and force as its UI sends it."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.web.resource import Resource
from twisted.web.server import Site

from marid.plugins import schedulers, util
from marid.www.rest import RestResource
from tests.fixtures.data import RecordingData
from tests.fixtures.http import Client, Response
from tests.integration.schedulers.conftest import Env, environment
from tests.unit.schedulers.shapes import ENTITY_KEYS, RECORDED_TOP_NEST, RECORDED_USERNAME

pytestmark = pytest.mark.db_backends("sqlite")


@pytest_twisted.async_yield_fixture()
async def served(data: RecordingData) -> AsyncIterator[tuple[Env, Client]]:
    env = await environment(
        data,
        schedulers.ForceScheduler("force", ["a"]),
        schedulers.ForceScheduler("both", ["a", "b"], properties=[util.IntParameter("jobs")]),
        schedulers.Triggerable("not-a-form", ["a"]),
    )
    root = Resource()
    api = Resource()
    root.putChild(b"api", api)
    api.putChild(b"v2", RestResource(data))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    yield env, Client(f"http://127.0.0.1:{port.getHost().port}/api/v2")
    await port.stopListening()


async def rpc(client: Client, path: str, params: dict[str, Any]) -> Response:
    body = {"jsonrpc": "2.0", "method": "force", "params": params, "id": 7}
    return await client.request(b"POST", path, json.dumps(body).encode())


@pytest_twisted.ensureDeferred
async def test_force_schedulers_have_buildbots_shape(served: tuple[Env, Client]) -> None:
    env, client = served

    response = await client.get("/forceschedulers")
    body = response.json()
    assert response.status == 200 and body["meta"] == {"total": 2}
    assert [f["name"] for f in body["forceschedulers"]] == ["both", "force"]
    force = body["forceschedulers"][1]
    assert set(force) == ENTITY_KEYS
    top = force["all_fields"][0]
    assert {k: v for k, v in top.items() if k != "fields"} == RECORDED_TOP_NEST
    assert top["fields"][0] == RECORDED_USERNAME

    only_b = (await client.get(f"/builders/{env.builderids['b']}/forceschedulers")).json()
    assert [f["name"] for f in only_b["forceschedulers"]] == ["both"]
    assert (await client.get("/builders/b/forceschedulers")).json() == only_b
    entity = (await client.get("/forceschedulers/force")).json()
    assert entity == {"forceschedulers": [force], "meta": {}}
    assert (await client.get("/forceschedulers/not-a-form")).status == 404
    page = (await client.get("/forceschedulers?limit=1&offset=1&field=name")).json()
    assert page == {"forceschedulers": [{"name": "force"}], "meta": {"total": 2}}


@pytest_twisted.ensureDeferred
async def test_json_rpc_force_takes_the_ui_params_and_answers_ids(
    served: tuple[Env, Client],
) -> None:
    env, client = served
    builderid = env.builderids["a"]
    params = {
        "builderid": str(builderid),
        "username": "",
        "reason": "x",
        "priority": 0,
        "branch": "",
        "project": "",
        "repository": "",
        "revision": "",
    }

    response = await rpc(client, "/forceschedulers/force", params)

    body = response.json()
    assert response.status == 200, body
    bsid, requests = body["result"]
    assert body["id"] == 7 and body["jsonrpc"] == "2.0"
    assert list(requests) == [str(builderid)]
    assert (await env.buildset(bsid))["reason"] == "A build was forced by '': x"
    props = await env.properties(bsid)
    assert props["owner"] == ["", "Force Build Form"]

    with_owner = await rpc(client, "/forceschedulers/force", {**params, "owner": "ci-bot"})
    bsid = with_owner.json()["result"][0]
    assert (await env.properties(bsid))["owner"] == ["ci-bot", "Force Build Form"]


@pytest_twisted.ensureDeferred
async def test_json_rpc_errors_name_each_bad_field(served: tuple[Env, Client]) -> None:
    env, client = served

    response = await rpc(
        client, "/forceschedulers/both", {"username": "nobody", "priority": "x", "jobs": "many"}
    )
    assert response.status == 400
    error = response.json()["error"]
    assert error["code"] == -32602
    assert error["message"] == (
        "invalid force parameters: username: 'nobody' has no email address: write "
        "'Name <you@example.com>'; priority: 'x' is not a whole number; "
        "jobs: 'many' is not a whole number"
    )
    assert error["data"]["errors"] == {
        "username": "'nobody' has no email address: write 'Name <you@example.com>'",
        "priority": "'x' is not a whole number",
        "jobs": "'many' is not a whole number",
    }

    missing = await rpc(client, "/forceschedulers/nosuch", {})
    assert (missing.status, missing.json()["error"]["code"]) == (404, -32000)

    scheduler = env.manager.get("force")
    assert scheduler is not None and scheduler.schedulerid is not None
    await env.data.schedulers.set_scheduler_enabled(scheduler.schedulerid, False)
    disabled = await rpc(client, "/forceschedulers/force", {})
    assert disabled.status == 409
    assert disabled.json()["error"]["message"] == "scheduler 'force' is disabled"
    listed = (await client.get("/forceschedulers/force")).json()["forceschedulers"][0]
    assert listed["enabled"] is False
