"""Logging in and out of a real master over HTTP: sessions in signed cookies.

Every test starts a master on 127.0.0.1 with ``UserPasswordAuth`` (or
``HTPasswdAuth``) and talks to it with a cookie-keeping HTTP client.
"""

from __future__ import annotations

import base64
import json

import bcrypt
import pytest
import pytest_twisted

from marid.www.session import COOKIE_NAME, STATE_NAME, STATE_OBJECT
from tests.integration.www.authmaster import Start, basic, log, start

__all__ = ["log", "start"]  # fixtures

USERS = """
c['www']['auth'] = util.UserPasswordAuth({'admin': 'adminpw', b'dev': b'devpw'})
"""
COOKIE = COOKIE_NAME.decode()


@pytest_twisted.ensureDeferred
async def test_good_credentials_start_a_session(start: Start) -> None:
    running = await start(USERS)
    browser = running.browser()

    response = await browser.login("admin", "adminpw")

    assert response.status == 200
    assert response.json() == {
        "username": "admin",
        "full_name": "admin",
        "email": None,
        "groups": [],
    }
    (cookie,) = browser.set_cookies
    attributes = [a.strip().lower() for a in cookie.split(";")]
    assert "httponly" in attributes and "samesite=lax" in attributes
    assert "max-age=604800" in attributes  # one week by default
    assert "secure" not in attributes  # buildbotURL is http
    config = await browser.config()
    assert config["auth"] == {"name": "UserPasswordAuth", "kind": "password"}
    assert config["user"]["username"] == "admin"
    assert isinstance(config["csrf_token"], str) and len(config["csrf_token"]) > 20


@pytest_twisted.ensureDeferred
async def test_wrong_credentials_are_refused_and_logged_without_the_password(
    start: Start, log: list[str]
) -> None:
    running = await start(USERS)
    browser = running.browser()

    for username, password in (("admin", "not-the-password"), ("nobody", "adminpw")):
        response = await browser.login(username, password)
        assert response.status == 401
        # Credentials were sent: no challenge, or a browser would prompt over the UI's form.
        assert response.header("www-authenticate") is None
        assert response.json() == {"error": "wrong user name or password"}
        assert browser.set_cookies == []
    missing = await browser.get("/auth/login")
    assert (missing.status, missing.header("www-authenticate")) == (401, 'Basic realm="Marid"')

    refusals = [line for line in log if "web login refused" in line]
    assert len(refusals) == 2
    assert "'admin' from 127.0.0.1" in refusals[0] and "'nobody'" in refusals[1]
    assert not any("not-the-password" in line for line in log)
    assert (await browser.config())["user"] == {"anonymous": True}


@pytest_twisted.ensureDeferred
async def test_a_tampered_cookie_is_anonymous(start: Start) -> None:
    running = await start(USERS)
    browser = running.browser()
    await browser.login("dev", "devpw")
    body, signature = browser.cookies[COOKIE].split(".")

    payload = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    payload["user"]["username"] = "admin"
    forged = base64.urlsafe_b64encode(json.dumps(payload).encode()).rstrip(b"=").decode()
    browser.cookies[COOKIE] = f"{forged}.{signature}"

    assert (await browser.config())["user"] == {"anonymous": True}


@pytest_twisted.ensureDeferred
async def test_an_expired_session_is_anonymous(start: Start) -> None:
    running = await start(USERS)
    assert running.master.www is not None
    guard = running.master.www.guard
    assert guard.codec is not None
    browser = running.browser()
    now = running.master.reactor.seconds()

    user = {"username": "admin", "full_name": "admin", "email": None, "groups": []}
    expired = guard.codec.new(user, "UserPasswordAuth", expires=now - 1)
    browser.cookies[COOKIE] = guard.codec.encode(expired)
    assert (await browser.config())["user"] == {"anonymous": True}

    valid = guard.codec.new(user, "UserPasswordAuth", expires=now + 60)
    browser.cookies[COOKIE] = guard.codec.encode(valid)
    assert (await browser.config())["user"]["username"] == "admin"


@pytest_twisted.ensureDeferred
async def test_the_secret_is_kept_in_the_database_across_restarts(start: Start) -> None:
    running = await start(USERS)
    browser = running.browser()
    await browser.login("admin", "adminpw")
    db = running.master.db
    assert db is not None
    objectid = await db.state.get_object_id(*STATE_OBJECT)
    stored = await db.state.get_state(objectid, STATE_NAME)
    assert len(bytes.fromhex(stored)) == 32

    again = await start(USERS, again=running)
    browser.base = f"http://127.0.0.1:{again.port}"
    assert (await browser.config())["user"]["username"] == "admin"


@pytest_twisted.ensureDeferred
async def test_logout_ends_the_session_and_redirects_only_on_site(start: Start) -> None:
    running = await start(USERS)
    browser = running.browser()

    login = await browser.get(
        "/auth/login?redirect=%2F%23%2Fbuilders", {"authorization": basic("dev", "devpw")}
    )
    assert (login.status, login.header("location")) == (302, "/#/builders")
    assert (await browser.config())["user"]["username"] == "dev"

    off_site = await browser.get("/auth/logout?redirect=https%3A%2F%2Fevil.example.com%2F")
    assert off_site.status == 400
    assert (await browser.config())["user"]["username"] == "dev"

    logout = await browser.get("/auth/logout")
    assert (logout.status, logout.json()) == (200, {"anonymous": True})
    assert COOKIE not in browser.cookies
    assert (await browser.config())["user"] == {"anonymous": True}


@pytest_twisted.ensureDeferred
async def test_htpasswd_users_log_in_with_a_bcrypt_password(start: Start) -> None:
    hashed = bcrypt.hashpw(b"s3cret", bcrypt.gensalt(rounds=4)).decode().replace("$2b$", "$2y$")
    running = await start(
        "c['www']['auth'] = util.HTPasswdAuth('users.htpasswd')\n",
        files={"users.htpasswd": f"carol:{hashed}\n"},
    )
    browser = running.browser()

    assert (await browser.login("carol", "wrong")).status == 401
    response = await browser.login("carol", "s3cret")
    assert response.status == 200 and response.json()["username"] == "carol"
    assert (await browser.config())["auth"]["name"] == "HTPasswdAuth"


@pytest.mark.parametrize("path", ["/auth/login", "/auth/logout"])
@pytest_twisted.ensureDeferred
async def test_without_auth_there_is_no_login(start: Start, path: str) -> None:
    running = await start("")
    browser = running.browser()
    config = await browser.config()
    assert config["auth"]["name"] == "NoAuth" and "csrf_token" not in config
    response = await browser.get(path, {"authorization": basic("admin", "adminpw")})
    if path == "/auth/login":
        assert response.status == 404
    assert browser.set_cookies == []


@pytest_twisted.ensureDeferred
async def test_repeated_failures_are_refused_for_a_while_even_with_the_right_password(
    start: Start,
) -> None:
    running = await start(USERS)
    browser = running.browser()
    for _ in range(10):
        assert (await browser.login("admin", "guess")).status == 401
    refused = await browser.login("admin", "adminpw")
    assert refused.status == 429
    assert 250 <= int(refused.header("retry-after") or 0) <= 300
    assert "too many failed logins" in refused.json()["error"]
    assert browser.set_cookies == []


@pytest_twisted.ensureDeferred
async def test_failures_lock_out_one_user_from_one_address_not_everyone(start: Start) -> None:
    running = await start(USERS)  # no trusted proxy: X-Forwarded-For means nothing
    browser = running.browser()
    for number in range(10):
        spoofed = {"x-forwarded-for": f"127.0.0.{number + 10}"}
        response = await browser.get(
            "/auth/login", {"authorization": basic("admin", "x"), **spoofed}
        )
        assert response.status == 401
    forwarded = {"x-forwarded-for": "127.0.0.99"}
    response = await browser.get(
        "/auth/login", {"authorization": basic("admin", "adminpw"), **forwarded}
    )
    assert response.status == 429  # a made-up X-Forwarded-For does not escape the throttle
    assert (await running.browser().login("dev", "devpw")).status == 200  # another user may


@pytest_twisted.ensureDeferred
async def test_behind_a_trusted_proxy_the_throttle_keys_on_the_forwarded_client(
    start: Start,
) -> None:
    running = await start(USERS + "c['www']['trusted_proxies'] = ['127.0.0.1']\n")
    proxy = running.browser()  # the test plays the proxy: every request comes from 127.0.0.1

    async def login(user: str, password: str, client: str) -> int:
        headers = {"authorization": basic(user, password), "x-forwarded-for": client}
        return (await proxy.get("/auth/login", headers)).status

    for _ in range(10):
        assert await login("admin", "guess", "127.0.0.5") == 401
    assert await login("admin", "adminpw", "127.0.0.5") == 429
    assert await login("admin", "adminpw", "127.0.0.6") == 200  # the same user elsewhere
    assert await login("dev", "devpw", "127.0.0.5") == 200  # another user at that address
