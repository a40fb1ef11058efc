"""Authz on a real master: control actions by role and by ownership, reads refused.

The master has builders ``try-a`` and ``release``, a force scheduler for each
and no connected worker, so forced requests stay pending and can be cancelled.
"""

from __future__ import annotations

from typing import Any

import pytest_twisted

from marid.www.ws import WsError
from tests.integration.www.authmaster import Browser, Running, Start, start
from tests.integration.www.conftest import Server

__all__ = ["start"]  # fixtures

RULES = """
c['www']['auth'] = util.UserPasswordAuth(
    {'admin': 'adminpw', 'dev': 'devpw', 'dev2': 'dev2pw', 'guest': 'guestpw'}
)
c['www']['authz'] = util.Authz(
    allowRules=[
        util.AnyEndpointMatcher(role='admins', defaultDeny=False),
        util.StopBuildEndpointMatcher(role='owner'),
        util.ForceBuildEndpointMatcher(builder='try-*', role='devs'),
        util.AnyControlEndpointMatcher(role='admins'),
    ],
    roleMatchers=[
        util.RolesFromUsername(roles=['admins'], usernames=['admin']),
        util.RolesFromUsername(roles=['devs'], usernames=['dev', 'dev2']),
        util.RolesFromOwner(role='owner'),
    ],
)
"""
FORCE = {"reason": "test", "username": "Some One <some@example.org>"}


async def logged_in(running: Running, username: str | None) -> Browser:
    browser = running.browser()
    if username is not None:
        assert (await browser.login(username, f"{username}pw")).status == 200
    await browser.config()
    return browser


def refusal(response: Any) -> str:
    assert response.status == 403, response.body
    body = response.json()
    assert body["jsonrpc"] == "2.0" and body["error"]["code"] == -32001
    message: str = body["error"]["message"]
    return message


@pytest_twisted.ensureDeferred
async def test_force_is_allowed_by_role_and_refused_to_others(start: Start) -> None:
    running = await start(RULES)
    admin, dev, guest, anonymous = [
        await logged_in(running, name) for name in ("admin", "dev", "guest", None)
    ]

    assert (await admin.rpc("forceschedulers/release", "force", FORCE)).status == 200
    assert (await dev.rpc("forceschedulers/try", "force", FORCE)).status == 200
    assert refusal(await dev.rpc("forceschedulers/release", "force", FORCE)) == (
        "'force' on forceschedulers/release is not allowed for 'dev': it needs the role 'admins'"
    )
    assert refusal(await guest.rpc("forceschedulers/try", "force", FORCE)) == (
        "'force' on forceschedulers/try is not allowed for 'guest': it needs the role 'devs'"
    )
    assert refusal(await anonymous.rpc("forceschedulers/try", "force", FORCE)) == (
        "'force' on forceschedulers/try is not allowed for anonymous users: "
        "it needs the role 'devs'"
    )
    data = running.master.data
    assert data is not None
    result, _ = await data.get("buildsets")
    assert len(result.items) == 2


@pytest_twisted.ensureDeferred
async def test_a_logged_in_user_forces_as_themselves(start: Start) -> None:
    running = await start(RULES)
    dev = await logged_in(running, "dev")

    response = await dev.rpc("forceschedulers/try", "force", {**FORCE, "owner": "admin"})

    bsid = response.json()["result"][0]
    db = running.master.db
    assert db is not None
    properties = await db.buildsets.get_buildset_properties(bsid)
    assert properties is not None and properties["owner"][0] == "dev"


@pytest_twisted.ensureDeferred
async def test_only_the_owner_or_an_admin_cancels_a_request(start: Start) -> None:
    running = await start(RULES)
    admin, dev, dev2 = [await logged_in(running, name) for name in ("admin", "dev", "dev2")]
    requests = []
    for _ in range(2):
        response = await dev.rpc("forceschedulers/try", "force", FORCE)
        requests.extend(response.json()["result"][1].values())
    first, second = requests

    assert refusal(await dev2.rpc(f"buildrequests/{first}", "cancel")) == (
        f"'cancel' on buildrequests/{first} is not allowed for 'dev2': it needs the role 'owner'"
    )
    assert (await dev.rpc(f"buildrequests/{first}", "cancel")).status == 200
    assert (await admin.rpc(f"buildrequests/{second}", "cancel")).status == 200
    db = running.master.db
    assert db is not None
    for brid in requests:
        request = await db.buildrequests.get_build_request(brid)
        assert request is not None and request.complete


@pytest_twisted.ensureDeferred
async def test_other_control_actions_need_the_admin_role(start: Start) -> None:
    running = await start(RULES)
    dev, admin = await logged_in(running, "dev"), await logged_in(running, "admin")
    db = running.master.db
    assert db is not None
    schedulerid = await db.schedulers.find_scheduler_id("try")

    path, off = f"schedulers/{schedulerid}", {"enabled": False}

    message = refusal(await dev.rpc(path, "enable", off))
    assert message.startswith(f"'enable' on {path} is not allowed for 'dev'")
    assert (await admin.rpc(path, "enable", off)).status == 200


READS = """
c['www']['auth'] = util.UserPasswordAuth({'admin': 'adminpw', 'guest': 'guestpw'})
c['www']['authz'] = util.Authz(
    allowRules=[util.AnyEndpointMatcher(role='admins')],
    roleMatchers=[util.RolesFromUsername(roles=['admins'], usernames=['admin'])],
)
"""


@pytest_twisted.ensureDeferred
async def test_reads_are_refused_when_any_endpoint_matcher_denies(start: Start) -> None:
    running = await start(READS)
    anonymous, guest = running.browser(), await logged_in(running, "guest")
    admin = await logged_in(running, "admin")

    response = await anonymous.get("/api/v2/builders")
    assert response.status == 403
    assert response.json() == {
        "error": "reading builders is not allowed for anonymous users: it needs the role 'admins'"
    }
    assert (await guest.get("/api/v2/builds/1")).status == 403
    assert (await admin.get("/api/v2/builders")).json()["meta"]["total"] == 2
    assert (await anonymous.config())["title"] == "Marid"  # the UI can still show a login

    www = running.master.www
    assert www is not None
    try:
        await www.check_read(("builds", "*", "*"), {"anonymous": True})
    except WsError as error:
        assert error.code == 403
    else:
        raise AssertionError("the websocket may not stream builds to anonymous users")
    await www.check_read(("builds", "*", "*"), {"username": "admin"})


@pytest_twisted.ensureDeferred
async def test_websocket_subscriptions_follow_authz(start: Start) -> None:
    running = await start(READS)
    assert running.master.www is not None
    client = await Server(running.master.www, running.port).ws()

    answer = await client.command("startConsuming", path="builds/*/*")

    assert answer["code"] == 403
    assert "not allowed for anonymous users" in answer["error"]
    client.dropConnection(abort=True)
