"""The web server's gatekeeper: who a request is from, whether it may come from there, and
whether its user may do what it asks.

One ``Guard`` lives as long as the web service; a reconfig changes its
settings in place (``configure``), so the resources holding it need not be
rebuilt. It answers, for one request:

- ``user(request)``: the user dict (see ``auth``) from the session cookie or,
  with ``RemoteUserAuth``, from the proxy's header (``Forbidden`` when that
  header is missing); ``user_for_headers`` does the same from a websocket
  handshake's header dict, without calling a user info provider.
- ``control_problem(request)``: why a POST must be refused as a possible
  cross-site request forgery: a Content-Type other than JSON, an ``Origin``
  that is neither this site nor an allowed origin, or, when auth is
  configured, an ``X-Marid-CSRF`` header that is not the session's token.
- ``cors(request)``: the CORS headers for an ``Origin`` in
  ``c['www']['allowed_origins']`` (fnmatch patterns, as in Buildbot).
- ``assert_allowed(path, action, params, user)`` and
  ``assert_allowed_read(path, user)``: authz, raising ``authz.Forbidden``.
- ``client_address(request)``: the client's IP address; behind a proxy in
  ``c['www']['trusted_proxies']``, the rightmost ``X-Forwarded-For`` entry
  that is not itself a trusted proxy.

Sessions and their cookies are made here (``session.py`` signs them).
"""

from __future__ import annotations

import contextlib
import fnmatch
import ipaddress
import weakref
from collections.abc import Callable, Mapping
from datetime import timedelta
from http.cookies import CookieError, SimpleCookie
from typing import Any
from urllib.parse import urlsplit

from twisted.web.server import Request

from marid.config.master_config import WwwConfig
from marid.data.connector import DataConnector
from marid.db.state import StateComponent
from marid.www.auth import ANONYMOUS, AuthBase, NoAuth, RemoteUserAuth, UserInfo
from marid.www.authz import Authz, Forbidden
from marid.www.session import COOKIE_NAME, Session, SessionCodec, load_secret
from marid.www.targets import target_for

CSRF_HEADER = b"x-marid-csrf"
JSON_MIME = "application/json"


def _header(request: Request, name: bytes) -> str | None:
    value = request.getHeader(name)
    return None if value is None else value.decode("utf-8", "replace")


class Guard:
    def __init__(
        self,
        data: DataConnector | None,
        seconds: Callable[[], float],
        reactor: Any = None,
    ) -> None:
        self.data = data
        self.seconds = seconds
        # Runs blocking credential checks in its thread pool; None checks them inline.
        self.reactor = reactor
        self.auth: AuthBase = NoAuth()
        self.authz: Authz = Authz()
        self.allowed_origins: list[str] = []
        self.buildbot_url = "http://localhost:8010/"
        self.lifetime = timedelta(weeks=1)
        self.codec: SessionCodec | None = None
        self.trusted_proxies: list[ipaddress.IPv4Network | ipaddress.IPv6Network] = []
        # Sessions started while answering a request, before the browser sends their cookie.
        self._started: weakref.WeakKeyDictionary[Any, Session] = weakref.WeakKeyDictionary()

    def configure(self, www: WwwConfig, buildbot_url: str, basedir: str) -> None:
        self.auth = www.auth if www.auth is not None else NoAuth()
        self.auth.basedir_changed(basedir)
        self.authz = www.authz if www.authz is not None else Authz()
        self.allowed_origins = list(www.allowed_origins)
        self.lifetime = www.cookie_expiration_time
        self.buildbot_url = buildbot_url
        self.trusted_proxies = [ipaddress.ip_network(a, strict=False) for a in www.trusted_proxies]

    async def load_secret(self, state: StateComponent) -> None:
        if self.codec is None:
            self.codec = SessionCodec(await load_secret(state))

    @property
    def enabled(self) -> bool:
        """Whether users log in (any auth but ``NoAuth``)."""
        return not isinstance(self.auth, NoAuth)

    # -- sessions -------------------------------------------------------------

    def _decode(self, cookie: str | None) -> Session | None:
        if cookie is None or self.codec is None or not self.enabled:
            return None
        return self.codec.decode(cookie, self.seconds(), self.auth.name)

    def session(self, request: Request) -> Session | None:
        """The request's valid session, if any (one started by this very request included)."""
        if request in self._started:
            return self._started[request]
        cookie = request.getCookie(COOKIE_NAME)
        return self._decode(None if cookie is None else cookie.decode("ascii", "replace"))

    def start_session(self, request: Request, user: UserInfo | None) -> Session:
        """A new session for ``user`` (None: anonymous), sent to the browser as a cookie."""
        if self.codec is None:
            raise RuntimeError("the session secret is not loaded yet")
        expires = self.seconds() + self.lifetime.total_seconds()
        session = self.codec.new(user, self.auth.name, expires)
        self._started[request] = session
        self._set_cookie(request, self.codec.encode(session), self.lifetime)
        return session

    def end_session(self, request: Request) -> None:
        self._started.pop(request, None)
        if request.getCookie(COOKIE_NAME) is not None:
            self._set_cookie(request, "", timedelta(0))

    def _set_cookie(self, request: Request, value: str, lifetime: timedelta) -> None:
        url = urlsplit(self.buildbot_url)
        request.addCookie(
            COOKIE_NAME,
            value.encode("ascii"),
            path=(url.path or "/").encode("ascii", "replace"),
            max_age=str(int(lifetime.total_seconds())).encode("ascii"),
            httpOnly=True,
            sameSite="lax",
            secure=url.scheme == "https",
        )

    def csrf_token(self, request: Request) -> str | None:
        """The token POSTs must carry in ``X-Marid-CSRF``; None without auth.

        Starts an anonymous session when the request has none, so that the
        token is bound to a cookie even before anyone logs in.
        """
        if not self.enabled or self.codec is None:
            return None
        session = self.session(request) or self.start_session(request, None)
        return self.codec.csrf_token(session)

    # -- users ----------------------------------------------------------------

    async def user(self, request: Request) -> UserInfo:
        """Who sent ``request``; ``Forbidden`` when a required proxy header is missing."""
        if isinstance(self.auth, RemoteUserAuth):
            fields = self.auth.parse_header(_header(request, self.auth.header_name().encode()))
            if isinstance(fields, str):
                raise Forbidden(fields)
            session = self.session(request)
            if session and session.user and session.user.get("username") == fields["username"]:
                return dict(session.user)
            user = await self.auth.user_info(fields["username"], fields)
            self.start_session(request, user)
            return user
        session = self.session(request)
        return dict(session.user) if session and session.user else dict(ANONYMOUS)

    def user_for_headers(self, headers: Mapping[str, str]) -> UserInfo:
        """The user of a websocket handshake (lower-case header names), from its cookie, or
        from the proxy header without the user info provider."""
        cookies: SimpleCookie = SimpleCookie()
        with contextlib.suppress(CookieError):
            cookies.load(headers.get("cookie", ""))
        morsel = cookies.get(COOKIE_NAME.decode("ascii"))
        session = self._decode(morsel.value if morsel is not None else None)
        if isinstance(self.auth, RemoteUserAuth):
            fields = self.auth.parse_header(headers.get(self.auth.header_name().lower()))
            if isinstance(fields, str):
                raise Forbidden(fields)
            if session and session.user and session.user.get("username") == fields["username"]:
                return dict(session.user)
            name = fields["username"]
            return {"username": name, "full_name": name, "email": None, "groups": [], **fields}
        return dict(session.user) if session and session.user else dict(ANONYMOUS)

    # -- where requests come from ---------------------------------------------

    def _trusted(self, address: str) -> bool:
        try:
            ip = ipaddress.ip_address(address)
        except ValueError:
            return False
        return any(ip in network for network in self.trusted_proxies)

    def client_address(self, request: Request) -> str:
        """The address of the client; ``X-Forwarded-For`` counts only from trusted proxies."""
        peer = request.getClientAddress()
        address = str(getattr(peer, "host", peer))
        if not self._trusted(address):
            return address
        forwarded = request.requestHeaders.getRawHeaders(b"x-forwarded-for") or []
        hops = [h.strip() for v in forwarded for h in v.decode("latin-1").split(",")]
        for hop in reversed([h for h in hops if h]):
            try:
                ipaddress.ip_address(hop)
            except ValueError:
                return address  # garbage beyond our proxies: keep the last one we can trust
            address = hop
            if not self._trusted(hop):
                return hop
        return address

    def origin_allowed(self, origin: str) -> bool:
        """Whether ``origin`` matches a pattern of ``c['www']['allowed_origins']``."""
        return any(fnmatch.fnmatchcase(origin, pattern) for pattern in self.allowed_origins)

    def origin_trusted(self, origin: str, host: str | None) -> bool:
        """Whether a browser page at ``origin`` may control this master, reached as ``host``."""
        if self.origin_allowed(origin):
            return True
        seen = urlsplit(origin.strip().lower())
        own = urlsplit(self.buildbot_url.lower())
        if (seen.scheme, seen.netloc) == (own.scheme, own.netloc):
            return True
        return host is not None and seen.scheme in ("http", "https") and seen.netloc == host.lower()

    def control_problem(self, request: Request) -> str | None:
        """Why this POST must be refused as a possible forgery, or None."""
        content_type = (_header(request, b"content-type") or "").split(";")[0].strip().lower()
        if content_type != JSON_MIME:
            return "control requests must be sent with Content-Type: application/json"
        origin = _header(request, b"origin")
        if origin is not None and not self.origin_trusted(origin, _header(request, b"host")):
            return (
                f"control requests from pages at {origin} are refused; "
                "list that origin in c['www']['allowed_origins'] to allow them"
            )
        if self.enabled:
            session = self.session(request)
            token = _header(request, CSRF_HEADER)
            if session is None or self.codec is None:
                return "no session: load /config first and send its csrf_token in X-Marid-CSRF"
            if token is None or not self.codec.csrf_matches(session, token):
                return "missing or wrong X-Marid-CSRF header: send the csrf_token from /config"
        return None

    def cors(self, request: Request) -> bool:
        """Add CORS headers when the request's ``Origin`` is allowed; whether it is."""
        origin = _header(request, b"origin")
        if origin is None or not self.origin_allowed(origin):
            return False
        request.setHeader(b"access-control-allow-origin", origin.encode("utf-8"))
        request.setHeader(b"vary", b"Origin")
        return True

    # -- authorization ------------------------------------------------------------

    async def assert_allowed(
        self,
        path: tuple[str, ...],
        action: str,
        params: Mapping[str, Any],
        user: Mapping[str, Any],
    ) -> None:
        """Return if ``user`` may do ``action`` on ``path``; ``Forbidden`` otherwise."""
        if not self.authz.allowRules:
            return
        target = await target_for(self.data, path, action, params)
        await self.authz.assert_allowed(target, user)

    async def assert_allowed_read(self, path: tuple[str, ...], user: Mapping[str, Any]) -> None:
        """Return if ``user`` may read (or consume events at) ``path``; ``Forbidden`` otherwise."""
        await self.assert_allowed(path, "get", {}, user)
