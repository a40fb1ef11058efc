"""The guard's checks on one request: CSRF, origins, CORS, sessions; no sockets."""

from __future__ import annotations

from datetime import timedelta

from twisted.internet.address import IPv4Address
from twisted.web.server import Request
from twisted.web.test.requesthelper import DummyChannel

from marid.config.master_config import WwwConfig
from marid.www.auth import RemoteUserAuth, UserPasswordAuth
from marid.www.authz import Forbidden
from marid.www.guard import Guard
from marid.www.session import COOKIE_NAME, SessionCodec

JSON = {"content-type": "application/json"}


class Clock:
    now = 1_700_000_000.0

    def seconds(self) -> float:
        return self.now


def request(headers: dict[str, str]) -> Request:
    req = Request(DummyChannel(), False)
    for name, value in headers.items():
        req.requestHeaders.setRawHeaders(name, [value])
    req.parseCookies()
    return req


def guard(auth: object = None, origins: tuple[str, ...] = (), clock: Clock | None = None) -> Guard:
    g = Guard(None, (clock or Clock()).seconds)
    www = WwwConfig(auth=auth, allowed_origins=list(origins))
    www.cookie_expiration_time = timedelta(hours=1)
    g.configure(www, "https://ci.example.org/", "/tmp")
    g.codec = SessionCodec(b"k" * 32)
    return g


def cookie_of(req: Request) -> str:
    (line,) = [c for c in req.cookies if c.startswith(COOKIE_NAME + b"=")]
    return line.split(b";")[0].split(b"=", 1)[1].decode()


def test_control_requests_must_be_json() -> None:
    g = guard()
    assert g.control_problem(request(JSON)) is None
    assert g.control_problem(request({"content-type": "application/json; charset=utf-8"})) is None
    for kind in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data"):
        problem = g.control_problem(request({"content-type": kind}))
        assert problem == "control requests must be sent with Content-Type: application/json"
    assert g.control_problem(request({})) is not None


def test_control_requests_from_foreign_pages_are_refused() -> None:
    g = guard(origins=("https://*.example.net",))
    trusted = [
        {"origin": "http://127.0.0.1:8010", "host": "127.0.0.1:8010"},  # the page's own host
        {"origin": "https://ci.example.org", "host": "127.0.0.5:8010"},  # buildbotURL, via a proxy
        {"origin": "https://dash.example.net", "host": "127.0.0.1:8010"},  # allowed_origins
    ]
    for headers in trusted:
        assert g.control_problem(request({**JSON, **headers})) is None, headers
    evil = request({**JSON, "origin": "https://evil.example.com", "host": "127.0.0.1:8010"})
    assert g.control_problem(evil) == (
        "control requests from pages at https://evil.example.com are refused; "
        "list that origin in c['www']['allowed_origins'] to allow them"
    )
    assert g.control_problem(request({**JSON, "origin": "null", "host": "a"})) is not None


def test_with_auth_a_control_request_needs_the_sessions_csrf_token() -> None:
    g = guard(UserPasswordAuth({"alice": "pw"}))
    first = request({})
    token = g.csrf_token(first)  # starts an anonymous session
    assert token is not None
    cookie = f"{COOKIE_NAME.decode()}={cookie_of(first)}"

    assert g.control_problem(request({**JSON, "cookie": cookie, "x-marid-csrf": token})) is None
    missing = g.control_problem(request({**JSON, "cookie": cookie}))
    assert missing == "missing or wrong X-Marid-CSRF header: send the csrf_token from /config"
    wrong = request({**JSON, "cookie": cookie, "x-marid-csrf": token[:-1] + "x"})
    assert g.control_problem(wrong) == missing
    no_session = g.control_problem(request({**JSON, "x-marid-csrf": token}))
    assert no_session == "no session: load /config first and send its csrf_token in X-Marid-CSRF"


def test_the_session_cookie_is_http_only_lax_and_secure_for_https() -> None:
    g = guard(UserPasswordAuth({"alice": "pw"}))
    req = request({})
    g.start_session(req, {"username": "alice"})
    (line,) = req.cookies
    attributes = [part.strip().lower() for part in line.split(b";")]
    assert b"httponly" in attributes and b"secure" in attributes
    assert b"samesite=lax" in attributes and b"max-age=3600" in attributes


def test_expired_sessions_are_anonymous() -> None:
    clock = Clock()
    g = guard(UserPasswordAuth({"alice": "pw"}), clock=clock)
    login = request({})
    g.start_session(login, {"username": "alice"})
    later = {"cookie": f"{COOKIE_NAME.decode()}={cookie_of(login)}"}
    assert g.session(request(later)) is not None
    clock.now += 3600
    assert g.session(request(later)) is None


def test_cors_headers_only_for_allowed_origins() -> None:
    g = guard(origins=("https://dash.example.net",))
    allowed = request({"origin": "https://dash.example.net"})
    assert g.cors(allowed)
    assert allowed.responseHeaders.getRawHeaders(b"access-control-allow-origin") == [
        b"https://dash.example.net"
    ]
    other = request({"origin": "https://evil.example.com"})
    assert not g.cors(other)
    assert not other.responseHeaders.hasHeader(b"access-control-allow-origin")


def test_websocket_handshakes_find_the_user_in_the_cookie_or_the_proxy_header() -> None:
    g = guard(UserPasswordAuth({"alice": "pw"}))
    login = request({})
    g.start_session(login, {"username": "alice", "groups": ["dev"]})
    headers = {"cookie": f"other=1; {COOKIE_NAME.decode()}={cookie_of(login)}"}
    assert g.user_for_headers(headers) == {"username": "alice", "groups": ["dev"]}
    assert g.user_for_headers({"cookie": "marid_session=forged.value"}) == {"anonymous": True}

    proxied = guard(RemoteUserAuth())
    assert proxied.user_for_headers({"remote_user": "bob@EXAMPLE"})["username"] == "bob"
    try:
        proxied.user_for_headers({})
    except Forbidden as error:
        assert "REMOTE_USER" in str(error)
    else:
        raise AssertionError("a handshake without the proxy header must be refused")


def from_peer(peer: str, forwarded: str | None = None) -> Request:
    channel = DummyChannel()
    address = IPv4Address("TCP", peer, 40000)
    channel.transport.getPeer = lambda: address  # type: ignore[method-assign]
    req = Request(channel, False)
    if forwarded is not None:
        req.requestHeaders.setRawHeaders("x-forwarded-for", [forwarded])
    return req


def proxied_guard(trusted: list[str]) -> Guard:
    g = Guard(None, Clock().seconds)
    g.configure(WwwConfig(trusted_proxies=trusted), "http://127.0.0.1:8010/", "/tmp")
    return g


def test_x_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    g = proxied_guard([])
    assert g.client_address(from_peer("127.0.0.1", "127.0.0.9")) == "127.0.0.1"


def test_x_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    g = proxied_guard(["127.0.0.1"])
    assert g.client_address(from_peer("127.0.0.3", "127.0.0.9")) == "127.0.0.3"


def test_the_client_is_the_rightmost_address_that_is_not_a_trusted_proxy() -> None:
    g = proxied_guard(["127.0.0.1", "127.0.1.0/24"])
    # 127.0.0.7 was added by the client itself: only what our proxies appended counts
    req = from_peer("127.0.0.1", "127.0.0.7, 127.0.0.5, 127.0.1.9")
    assert g.client_address(req) == "127.0.0.5"
    req = from_peer("127.0.0.1", "127.0.0.7")
    req.requestHeaders.addRawHeader(b"x-forwarded-for", b"127.0.0.5")  # a second header line
    assert g.client_address(req) == "127.0.0.5"


def test_garbage_in_x_forwarded_for_stops_at_the_last_trusted_hop() -> None:
    g = proxied_guard(["127.0.0.1", "127.0.1.9"])
    assert g.client_address(from_peer("127.0.0.1", "evil, 127.0.1.9")) == "127.0.1.9"
    assert g.client_address(from_peer("127.0.0.1", "")) == "127.0.0.1"


def test_a_chain_of_trusted_proxies_only_names_the_leftmost() -> None:
    g = proxied_guard(["127.0.0.0/8"])
    assert g.client_address(from_peer("127.0.0.1", "127.0.0.4, 127.0.0.2")) == "127.0.0.4"
