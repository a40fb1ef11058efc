"""Cross-site request forgery and CORS on a real master.

A control request (JSON-RPC POST) is refused unless it is JSON, comes from no
page or from a trusted one, and, with auth, carries the session's CSRF token.
"""

from __future__ import annotations

import json

import pytest_twisted

from tests.fixtures.http import Response
from tests.integration.www.authmaster import Start, start

__all__ = ["start"]  # fixtures

AUTH = """
c['www']['auth'] = util.UserPasswordAuth({'admin': 'adminpw'})
c['www']['allowed_origins'] = ['https://*.example.net']
"""
FORCE = {"reason": "test", "username": "Some One <some@example.org>"}


def refused_because(response: Response) -> str:
    assert response.status == 403, response.body
    message: str = response.json()["error"]["message"]
    return message


@pytest_twisted.ensureDeferred
async def test_control_requests_must_be_json(start: Start) -> None:
    running = await start(AUTH)
    browser = running.browser()
    await browser.login("admin", "adminpw")
    await browser.config()

    form = await browser.rpc("forceschedulers/try", "force", FORCE, {"content-type": "text/plain"})

    assert refused_because(form) == (
        "control requests must be sent with Content-Type: application/json"
    )
    assert (await browser.rpc("forceschedulers/try", "force", FORCE)).status == 200


@pytest_twisted.ensureDeferred
async def test_control_requests_from_foreign_pages_are_refused(start: Start) -> None:
    running = await start(AUTH)
    browser = running.browser()
    await browser.login("admin", "adminpw")
    await browser.config()

    foreign = await browser.rpc(
        "forceschedulers/try", "force", FORCE, {"origin": "https://evil.example.com"}
    )
    assert refused_because(foreign).startswith(
        "control requests from pages at https://evil.example.com are refused"
    )
    own = {"origin": f"http://127.0.0.1:{running.port}"}
    assert (await browser.rpc("forceschedulers/try", "force", FORCE, own)).status == 200
    allowed = {"origin": "https://dash.example.net"}
    response = await browser.rpc("forceschedulers/try", "force", FORCE, allowed)
    assert response.status == 200
    assert response.header("access-control-allow-origin") == "https://dash.example.net"


@pytest_twisted.ensureDeferred
async def test_control_requests_need_the_sessions_token(start: Start) -> None:
    running = await start(AUTH)
    browser = running.browser()
    await browser.login("admin", "adminpw")
    token = (await browser.config())["csrf_token"]

    browser.csrf_token = None
    missing = await browser.rpc("forceschedulers/try", "force", FORCE)
    assert refused_because(missing) == (
        "missing or wrong X-Marid-CSRF header: send the csrf_token from /config"
    )
    other = running.browser()
    await other.config()  # another (anonymous) session, with its own token
    browser.csrf_token = other.csrf_token
    assert refused_because(await browser.rpc("forceschedulers/try", "force", FORCE))
    browser.csrf_token = token
    assert (await browser.rpc("forceschedulers/try", "force", FORCE)).status == 200


@pytest_twisted.ensureDeferred
async def test_without_auth_no_token_is_needed_but_origins_are_checked(start: Start) -> None:
    running = await start("")
    browser = running.browser()
    assert "csrf_token" not in await browser.config()

    assert (await browser.rpc("forceschedulers/try", "force", FORCE)).status == 200
    foreign = {"origin": "https://evil.example.com"}
    assert refused_because(await browser.rpc("forceschedulers/try", "force", FORCE, foreign))


@pytest_twisted.ensureDeferred
async def test_cors_preflight_and_reads_for_allowed_origins(start: Start) -> None:
    running = await start(AUTH)
    browser = running.browser()
    allowed = {
        "origin": "https://dash.example.net",
        "access-control-request-method": "POST",
        "access-control-request-headers": "content-type,x-marid-csrf",
    }

    preflight = await browser.request(b"OPTIONS", "/api/v2/forceschedulers/try", None, allowed)
    assert preflight.status == 204
    assert preflight.header("access-control-allow-origin") == "https://dash.example.net"
    assert preflight.header("access-control-allow-methods") == "GET, POST, OPTIONS"
    assert preflight.header("access-control-allow-headers") == "Content-Type, X-Marid-CSRF"

    other = {**allowed, "origin": "https://evil.example.com"}
    refused = await browser.request(b"OPTIONS", "/api/v2/forceschedulers/try", None, other)
    assert refused.status == 403 and refused.header("access-control-allow-origin") is None

    read = await browser.get("/api/v2/builders", {"origin": "https://dash.example.net"})
    assert read.status == 200
    assert read.header("access-control-allow-origin") == "https://dash.example.net"
    assert json.loads(read.body)["meta"]["total"] == 2
    unlisted = await browser.get("/api/v2/builders", {"origin": "https://evil.example.com"})
    assert unlisted.header("access-control-allow-origin") is None
