"""The websocket ``/ws`` with a real autobahn client over 127.0.0.1."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import pytest_twisted
from twisted.internet import reactor, task

from marid.www import ws
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import master_with_builders, started_build
from tests.integration.www.conftest import Server

pytestmark = pytest.mark.db_backends("sqlite")


async def _until(predicate: Callable[[], bool], seconds: float = 5) -> None:
    for _ in range(int(seconds / 0.01)):
        if predicate():
            return
        await task.deferLater(reactor, 0.01, lambda: None)
    raise AssertionError("condition not met in time")


@pytest_twisted.ensureDeferred
async def test_start_consuming_is_acknowledged_and_events_follow(
    data: RecordingData, server: Server
) -> None:
    client = await server.ws()
    answer = await client.command("startConsuming", path="builds/*/*")
    assert answer == {"_id": 1, "code": 200, "msg": "OK"}
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    event = await client.next()
    assert event["k"] == f"builds/{build.buildid}/new"
    assert event["m"]["buildid"] == build.buildid and event["m"]["complete"] is False
    await data.builds.finish_build(build.buildid, 2)
    event = await client.next()
    assert event["k"] == f"builds/{build.buildid}/finished"
    assert event["m"]["results"] == 2


@pytest_twisted.ensureDeferred
async def test_only_matching_paths_are_delivered(data: RecordingData, server: Server) -> None:
    client = await server.ws()
    await client.command("startConsuming", path="builds/*/finished")
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    await data.builds.finish_build(build.buildid, 0)
    event = await client.next()
    assert event["k"] == f"builds/{build.buildid}/finished"
    assert client.messages == []


@pytest_twisted.ensureDeferred
async def test_log_appends_are_events_with_line_numbers(
    data: RecordingData, server: Server
) -> None:
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    stepid, _, _ = await data.steps.add_step(build.buildid, "shell")
    logid = await data.logs.add_log(stepid, "stdio", "s")
    client = await server.ws()
    await client.command("startConsuming", path=f"logs/{logid}/append")
    await data.logs.append_log(logid, "oone\notwo\n")
    event = await client.next()
    assert event == {
        "k": f"logs/{logid}/append",
        "m": {"logid": logid, "first_line": 0, "last_line": 1, "num_lines": 2},
    }


@pytest_twisted.ensureDeferred
async def test_stop_consuming_ends_the_subscription(data: RecordingData, server: Server) -> None:
    client = await server.ws()
    await client.command("startConsuming", path="builds/*/*")
    answer = await client.command("stopConsuming", path="builds/*/*")
    assert answer["code"] == 200
    setup = await master_with_builders(data)
    await started_build(data, setup)
    pong = await client.command("ping")
    assert pong == {"_id": 3, "code": 200, "msg": "pong"}
    assert client.messages == []
    again = await client.command("stopConsuming", path="builds/*/*")
    assert again["code"] == 400 and "not consuming" in again["error"]


@pytest_twisted.ensureDeferred
async def test_bad_commands_get_error_codes(server: Server) -> None:
    client = await server.ws()
    client.send("{not json")
    reply = await client.next()
    assert (reply["_id"], reply["code"]) == (None, 400)
    assert reply["error"].startswith("invalid JSON")
    answer = await client.command("dance")
    assert answer["code"] == 400 and "unknown command 'dance'" in answer["error"]
    answer = await client.command("startConsuming")
    assert answer["code"] == 400 and "'path'" in answer["error"]
    answer = await client.command("startConsuming", path="nosuch/*")
    assert answer["code"] == 404


@pytest_twisted.ensureDeferred
async def test_subscriptions_end_when_the_socket_closes(
    data: RecordingData, server: Server
) -> None:
    before = data.mq.consumer_count()
    client = await server.ws()
    await client.command("startConsuming", path="builds/*/*")
    await client.command("startConsuming", path="steps/*/*")
    assert data.mq.consumer_count() == before + 2
    client.sendClose()
    await client.closed
    await _until(lambda: data.mq.consumer_count() == before)


@pytest_twisted.ensureDeferred
async def test_a_page_of_another_site_is_refused(server: Server) -> None:
    with pytest.raises(ConnectionError, match="403"):
        await server.ws(origin="http://evil.example")
    server.www.guard.allowed_origins = ["http://ci-dashboard.*"]
    client = await server.ws(origin="http://ci-dashboard.example")
    assert (await client.command("ping"))["msg"] == "pong"
    same_site = await server.ws(origin=f"http://127.0.0.1:{server.port}")
    assert (await same_site.command("ping"))["msg"] == "pong"


@pytest_twisted.ensureDeferred
async def test_a_client_that_stops_reading_is_disconnected(
    data: RecordingData, server: Server, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(ws, "MAX_BUFFERED", 256 * 1024)
    before = data.mq.consumer_count()
    client = await server.ws()
    await client.command("startConsuming", path="masters/*/*")
    client.transport.pauseProducing()  # the client no longer reads its socket
    message = {"name": "x" * 10_000}
    for _ in range(200):  # ~20 MB of events: more than the socket buffers hold
        for _ in range(10):
            data.mq.produce(("masters", "1", "started"), message)
        if data.mq.consumer_count() == before:
            break
        await task.deferLater(reactor, ws.BATCH_SECONDS, lambda: None)
    assert data.mq.consumer_count() == before


@pytest_twisted.ensureDeferred
async def test_with_a_ping_interval_a_client_that_stops_answering_is_dropped(
    data: RecordingData, server: Server
) -> None:
    server.www.ws_ping_interval = 1
    server.www.ws_factory.apply_options()
    before = data.mq.consumer_count()
    answering = await server.ws()
    silent = await server.ws()
    await answering.command("startConsuming", path="builds/*/*")
    await silent.command("startConsuming", path="builds/*/*")
    assert data.mq.consumer_count() == before + 2
    silent.transport.pauseProducing()  # reads nothing more, so answers no ping
    await _until(lambda: data.mq.consumer_count() == before + 1)
    await task.deferLater(reactor, 2.5, lambda: None)
    assert (await answering.command("ping"))["msg"] == "pong"


def test_an_event_is_framed_once_for_all_its_clients(server: Server) -> None:
    frames = server.www.ws_factory.frames
    message = {"buildid": 1}
    first = frames.prepared(("builds", "1", "new"), message)
    assert frames.prepared(("builds", "1", "new"), message) is first
    update = frames.prepared(("builds", "1", "update"), message)
    assert update.payload == b'{"k":"builds/1/update","m":{"buildid":1}}'
    assert frames.prepared(("builds", "1", "update"), {"buildid": 1}) is not update


@pytest_twisted.ensureDeferred
async def test_events_come_in_order_and_before_a_later_reply(
    data: RecordingData, server: Server
) -> None:
    client = await server.ws()
    await client.command("startConsuming", path="masters/*/*")
    for n in range(5):
        data.mq.produce(("masters", str(n), "started"), {"masterid": n})
    client.send({"cmd": "ping", "_id": 99})
    received = [await client.next() for _ in range(6)]
    assert [m["m"]["masterid"] for m in received[:5]] == [0, 1, 2, 3, 4]
    assert received[5] == {"_id": 99, "code": 200, "msg": "pong"}
