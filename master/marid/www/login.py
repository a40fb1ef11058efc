"""``/auth/login`` and ``/auth/logout``: starting and ending a web session.

``GET /auth/login`` with ``Authorization: Basic ...`` checks the name and
password with the configured auth (in a thread when the check is slow, as
bcrypt is), starts a session and answers the user info as JSON. Wrong or
missing credentials answer 401, with ``WWW-Authenticate: Basic`` when none
were sent, so that a browser sent there shows its own login prompt (the UI's
form, which sends them, gets no challenge and shows the error itself). Each
failure is logged with the user name (never the password) and the client
address; after ten failures for one user name from one address in five
minutes, those logins are refused (429, ``Retry-After``) until the oldest is
five minutes old (``throttle.py``). The address is the connection's peer, or
behind a proxy in ``c['www']['trusted_proxies']`` the client that the proxy
names in ``X-Forwarded-For`` (``Guard.client_address``). With
``RemoteUserAuth`` the proxy's header logs the user in, and without one
(403). ``GET /auth/logout`` ends the session.

Both accept ``?redirect=`` and then answer 302 to it instead of JSON. Only a
place on this site is accepted (a path such as ``/#/builders`` or a relative
reference), never another host, so the parameter cannot send users off-site.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any
from urllib.parse import urljoin, urlsplit

from twisted.internet import defer, threads
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import resource, server

from marid.www.auth import RemoteUserAuth, UserInfo
from marid.www.authz import Forbidden
from marid.www.guard import Guard
from marid.www.throttle import LoginThrottle

log = Logger()

REALM = b'Basic realm="Marid"'
JSON_TYPE = b"application/json; charset=utf-8"
# Characters of a user name that key the login throttle (longer names share a key).
MAX_NAME_KEY = 200


class LoginFailed(Exception):
    def __init__(
        self,
        status: int,
        message: str,
        *,
        challenge: bool = False,
        retry_after: int | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.challenge = challenge
        self.retry_after = retry_after


def basic_credentials(header: bytes | None) -> tuple[str, bytes] | None:
    """``(username, password)`` from an ``Authorization: Basic`` header, or None."""
    if header is None:
        return None
    scheme, _, encoded = header.strip().partition(b" ")
    if scheme.lower() != b"basic":
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
        name, sep, password = decoded.partition(b":")
        username = name.decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (username, password) if sep and username else None


def safe_redirect(value: str, buildbot_url: str) -> str | None:
    """Where ``?redirect=value`` leads, as a path on this site; None if it leaves the site."""
    if any(c.isspace() or ord(c) < 32 or c == "\\" for c in value):
        return None  # browsers drop or reinterpret these, which can turn a path into a host
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or value.startswith("//"):
        return None
    return urljoin(urlsplit(buildbot_url).path or "/", value)


async def log_in(guard: Guard, request: server.Request, throttle: LoginThrottle) -> UserInfo:
    """Check the request's credentials and start a session; ``LoginFailed`` when that fails
    or when the client has failed too often lately."""
    auth = guard.auth
    if isinstance(auth, RemoteUserAuth):
        try:
            return await guard.user(request)
        except Forbidden as error:
            raise LoginFailed(403, str(error)) from None
    if auth.kind != "password":
        raise LoginFailed(404, "this master has no login: c['www']['auth'] is not set")
    credentials = basic_credentials(request.getHeader(b"authorization"))
    if credentials is None:
        raise LoginFailed(401, "log in with HTTP Basic authentication", challenge=True)
    username, password = credentials
    client = guard.client_address(request)
    key = (username[:MAX_NAME_KEY], client)
    wait = throttle.retry_after(key)
    if wait is not None:
        log.warn(
            "web login for user {username!r} from {client} refused: too many failed attempts",
            username=username[:MAX_NAME_KEY],
            client=client,
        )
        raise LoginFailed(429, f"too many failed logins; try again in {wait} s", retry_after=wait)
    if auth.blocking and guard.reactor is not None:
        pool = guard.reactor.getThreadPool()
        check = auth.check_credentials
        valid = await threads.deferToThreadPool(guard.reactor, pool, check, username, password)
    else:
        valid = auth.check_credentials(username, password)
    if not valid:
        throttle.failed(key)
        log.warn(
            "web login refused for user {username!r} from {client}: wrong name or password",
            username=username,
            client=client,
        )
        raise LoginFailed(401, "wrong user name or password", challenge=True)
    throttle.succeeded(key)
    user = await auth.user_info(username)
    guard.start_session(request, user)
    log.info("web login: {username!r}", username=username)
    return user


class _JsonPage(resource.Resource):
    isLeaf = True

    def __init__(self, guard: Guard) -> None:
        super().__init__()
        self.guard = guard

    def render_GET(self, request: server.Request) -> int:
        d = defer.Deferred.fromCoroutine(self._answer(request))
        d.addErrback(self._failed, request)
        return server.NOT_DONE_YET

    async def _answer(self, request: server.Request) -> None:
        redirect = None
        values = (request.args or {}).get(b"redirect")
        if values:
            redirect = safe_redirect(values[0].decode("utf-8", "replace"), self.guard.buildbot_url)
            if redirect is None:
                self._send(request, 400, {"error": "redirect must be a place on this site"})
                return
        try:
            body = await self.act(request)
        except LoginFailed as failure:
            # A client that sent credentials (the UI's login form) gets no challenge:
            # a browser would answer it with its own password prompt over the page.
            if failure.challenge and not request.getHeader(b"authorization"):
                request.setHeader(b"www-authenticate", REALM)
            if failure.retry_after is not None:
                request.setHeader(b"retry-after", str(failure.retry_after).encode("ascii"))
            self._send(request, failure.status, {"error": str(failure)})
            return
        if redirect is not None:
            request.setResponseCode(302)
            request.setHeader(b"location", redirect.encode("utf-8"))
            request.finish()
        else:
            self._send(request, 200, body)

    async def act(self, request: server.Request) -> dict[str, Any]:
        raise NotImplementedError

    def _send(self, request: server.Request, status: int, body: dict[str, Any]) -> None:
        request.setResponseCode(status)
        request.setHeader(b"content-type", JSON_TYPE)
        request.setHeader(b"cache-control", b"no-store")
        request.write(json.dumps(body).encode("utf-8"))
        request.finish()

    def _failed(self, failure: Failure, request: server.Request) -> None:
        log.failure("{uri} failed", failure, uri=request.uri)
        if not request.finished and not request._disconnected:
            self._send(request, 500, {"error": "internal error"})


class LoginPage(_JsonPage):
    def __init__(self, guard: Guard) -> None:
        super().__init__(guard)
        self.throttle = LoginThrottle(guard.seconds)

    async def act(self, request: server.Request) -> dict[str, Any]:
        return await log_in(self.guard, request, self.throttle)


class LogoutPage(_JsonPage):
    async def act(self, request: server.Request) -> dict[str, Any]:
        self.guard.end_session(request)
        return {"anonymous": True}


def make_auth_resource(guard: Guard) -> resource.Resource:
    """The ``/auth`` tree: ``login`` and ``logout``."""
    tree = resource.Resource()
    tree.putChild(b"login", LoginPage(guard))
    tree.putChild(b"logout", LogoutPage(guard))
    return tree
