"""A real master's REST API refuses malformed requests with a 4xx and a message, never a 500.

Each test starts a master on 127.0.0.1 (two builders with a force scheduler
each, see ``authmaster``) and sends what a careless script or a hostile
client could: huge numbers, wrong types, deep or large bodies, other methods.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted

from tests.fixtures.http import Response
from tests.integration.www.authmaster import Browser, Start, start

__all__ = ["start"]  # fixtures

HUGE = 10**30


async def builderid(browser: Browser, name: str) -> int:
    body = (await browser.get(f"/api/v2/builders/{name}")).json()
    return int(body["builders"][0]["builderid"])


async def force(browser: Browser, params: dict[str, Any]) -> Response:
    return await browser.rpc("forceschedulers/try", "force", params)


def field_errors(response: Response) -> dict[str, str]:
    body = response.json()
    assert body["error"]["code"] == -32602, body
    errors: dict[str, str] = body["error"]["data"]["errors"]
    return errors


@pytest_twisted.ensureDeferred
async def test_numbers_beyond_64_bits_in_paths_and_queries_are_400(start: Start) -> None:
    browser = (await start("")).browser()
    for path in (
        f"/api/v2/builds?limit={HUGE}",
        f"/api/v2/builds?offset={HUGE}",
        f"/api/v2/builds?buildid__gt={HUGE}",
        "/api/v2/builds/99999999999999999999999",
        f"/api/v2/builders/{HUGE}/builds/1",
        f"/api/v2/logs/1/contents?offset={HUGE}",
    ):
        response = await browser.get(path)
        assert response.status == 400, (path, response.body)
        assert "out of range" in response.json()["error"], path
    response = await browser.get("/api/v2/builds/99999999999999999999999")
    assert response.json() == {
        "error": "buildid 99999999999999999999999 is out of range (at most 9223372036854775807)"
    }
    assert (await browser.get("/api/v2/builds/9223372036854775807")).status == 404


@pytest_twisted.ensureDeferred
async def test_force_with_a_bad_builderid_names_the_field(start: Start) -> None:
    browser = (await start("")).browser()
    own = await builderid(browser, "try-a")
    for value in (HUGE, str(HUGE), 1.5, True, {"id": own}, [own], "1; drop"):
        response = await force(browser, {"builderid": value})
        assert response.status == 400, (value, response.body)
        assert list(field_errors(response)) == ["builderid"], value
    response = await force(browser, {"builderid": 1.5})
    assert "must be a builder id (a whole number)" in field_errors(response)["builderid"]
    response = await force(browser, {"builderid": own, "reason": "ok"})
    assert response.status == 200, response.body


@pytest_twisted.ensureDeferred
async def test_force_fields_of_the_wrong_type_are_refused_by_name(start: Start) -> None:
    browser = (await start("")).browser()
    response = await force(browser, {"reason": {"text": "x"}})
    assert response.status == 400
    assert field_errors(response) == {"reason": "must be a string, not dict"}
    response = await force(browser, {"properties": "x"})
    assert field_errors(response) == {"properties": "this form has no such field"}
    response = await force(browser, {"priority": HUGE})
    assert "out of range" in field_errors(response)["priority"]
    response = await force(browser, {"priority": 2**40})
    assert field_errors(response) == {
        "priority": "1099511627776 is out of range (-2147483648 to 2147483647)"
    }
    response = await force(browser, {"owner": ["x"]})
    assert field_errors(response) == {"owner": "must be a string"}
    result = await browser.get("/api/v2/buildsets")
    assert result.json()["meta"]["total"] == 0  # nothing was forced


@pytest_twisted.ensureDeferred
async def test_reasons_and_fields_longer_than_the_limits_are_refused_by_name(
    start: Start,
) -> None:
    running = await start(
        """
        c['www']['max_reason_length'] = 100
        c['www']['max_field_length'] = 200
        """
    )
    browser = running.browser()
    response = await force(browser, {"reason": "r" * 101})
    assert response.status == 400
    assert field_errors(response) == {"reason": "101 characters, more than the 100 allowed"}
    response = await force(browser, {"branch": "b" * 201, "reason": "r" * 100})
    assert field_errors(response) == {"branch": "201 characters, more than the 200 allowed"}
    response = await browser.rpc(f"builds/{HUGE}", "stop", {"reason": "x" * 101})
    assert response.status == 400  # the path's number, before anything else


@pytest_twisted.ensureDeferred
async def test_a_deeply_nested_body_is_400_not_a_recursion_error(start: Start) -> None:
    browser = (await start("")).browser()
    for depth in (65, 100_000):
        nested = "[" * depth + "]" * depth
        body = f'{{"jsonrpc": "2.0", "id": 1, "method": "force", "params": {{"x": {nested}}}}}'
        response = await browser.request(
            b"POST",
            "/api/v2/forceschedulers/try",
            body.encode(),
            {"content-type": "application/json"},
        )
        assert response.status == 400, depth
        error = response.json()["error"]
        assert error == {"code": -32700, "message": "the JSON body nests deeper than 64 levels"}


@pytest_twisted.ensureDeferred
async def test_a_body_over_the_limit_is_413_and_stores_nothing(start: Start) -> None:
    running = await start("c['www']['max_request_body'] = 100_000\n")
    browser = running.browser()
    own = await builderid(browser, "try-a")
    response = await force(browser, {"builderid": own, "reason": "r" * 200_000})
    assert response.status == 413
    assert response.json() == {"error": "the request body is larger than 100000 bytes"}
    assert (await browser.get("/api/v2/buildsets")).json()["meta"]["total"] == 0


@pytest_twisted.ensureDeferred
async def test_put_and_delete_get_a_json_405(start: Start) -> None:
    browser = (await start("")).browser()
    for method, path in [
        (b"PUT", "/api/v2/builds/1"),
        (b"DELETE", "/api/v2/builds/1"),
        (b"PATCH", "/api/v2"),
        (b"DELETE", "/config"),
        (b"PUT", "/auth/login"),
    ]:
        response = await browser.request(method, path, b"{}")
        assert response.status == 405, (method, path)
        assert response.header("content-type") == "application/json; charset=utf-8"
        assert "is not allowed here; use GET" in response.json()["error"]
        assert "GET" in (response.header("allow") or "").split(", ")
    response = await browser.request(b"PUT", "/api/v2/builds/1", b"{}")
    assert response.header("allow") == "GET, HEAD, POST, OPTIONS"
