"""RemoteUserAuth on a real master: the user comes from the reverse proxy's header."""

from __future__ import annotations

import pytest_twisted

from tests.integration.www.authmaster import Start, start

__all__ = ["start"]  # fixtures

PROXY = """
class Directory(util.UserInfoProviderBase):
    def getUserInfo(self, username):
        return {'email': username + '@example.org', 'groups': ['ci-' + username]}

c['www']['auth'] = util.RemoteUserAuth(
    header='X-Remote-User', headerRegex=r'(?P<username>[a-z]+)$', userInfoProvider=Directory()
)
c['www']['authz'] = util.Authz(
    allowRules=[util.AnyControlEndpointMatcher(role='alice')],
    roleMatchers=[util.RolesFromGroups(groupPrefix='ci-')],
)
"""
FORCE = {"reason": "test", "username": "Some One <some@example.org>"}


@pytest_twisted.ensureDeferred
async def test_the_proxy_header_logs_the_user_in_on_any_request(start: Start) -> None:
    running = await start(PROXY)
    browser = running.browser()

    config = await browser.config({"x-remote-user": "alice"})

    assert config["auth"] == {"name": "RemoteUserAuth", "kind": "proxy"}
    assert config["user"] == {
        "username": "alice",
        "full_name": "alice",
        "email": "alice@example.org",
        "groups": ["ci-alice"],
    }
    login = await browser.get("/auth/login", {"x-remote-user": "alice"})
    assert login.status == 200 and login.json()["username"] == "alice"
    forced = await browser.rpc("forceschedulers/try", "force", FORCE, {"x-remote-user": "alice"})
    assert forced.status == 200, forced.body


@pytest_twisted.ensureDeferred
async def test_a_session_does_not_outlive_the_proxy_header(start: Start) -> None:
    running = await start(PROXY)
    browser = running.browser()
    await browser.config({"x-remote-user": "alice"})

    as_bob = await browser.rpc("forceschedulers/try", "force", FORCE, {"x-remote-user": "bob"})
    assert as_bob.status == 403
    assert "not allowed for 'bob'" in as_bob.json()["error"]["message"]


@pytest_twisted.ensureDeferred
async def test_requests_without_a_usable_header_are_refused(start: Start) -> None:
    running = await start(PROXY)
    browser = running.browser()

    missing = await browser.get("/config")
    assert missing.status == 403
    assert missing.json() == {
        "error": "this master expects an authenticating proxy to set the X-Remote-User "
        "header, and the request has none"
    }
    malformed = await browser.get("/api/v2/builders", {"x-remote-user": "Mallory Smith"})
    assert malformed.status == 403
    assert "does not name a user" in malformed.json()["error"]
    login = await browser.get("/auth/login")
    assert login.status == 403
