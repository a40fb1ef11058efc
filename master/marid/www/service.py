"""The web service: one twisted.web Site on the configured endpoint, reconfigurable live.

The site's tree is ``/`` (the built web UI from ``static/``, or a small
index page when the UI was not built), ``/config`` (what the UI needs to know),
``/api/v2/...`` (REST), ``/ws`` (live events) and ``/auth/login``,
``/auth/logout`` (sessions; ``login.py``). Who may do what is decided by the
service's ``Guard``. The site's channels answer requests that are too large
(``httplimits.py``). When a reconfig changes ``c['www']['port']``, the old
listener is closed and the new one opened; a port that cannot be opened fails
the reconfig loudly and the old listener is kept.
"""

from __future__ import annotations

import html
import json
import platform
from pathlib import Path
from typing import Any

import twisted
from autobahn.websocket.types import ConnectionDeny
from twisted.application import service
from twisted.internet import defer, endpoints
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import resource, server, static

from marid import __version__
from marid.data.connector import DataConnector
from marid.www.accesslog import AccessLog
from marid.www.authz import Forbidden
from marid.www.guard import Guard
from marid.www.httplimits import HttpLimits, LimitedSite
from marid.www.login import make_auth_resource
from marid.www.rest import RestResource
from marid.www.rpcbody import BodyLimits
from marid.www.ws import WsError, make_ws_resource

log = Logger()

STATIC_DIR = Path(__file__).parent / "static"


class IndexResource(resource.Resource):
    """``/``: what this server is and where its API lives."""

    isLeaf = True

    def __init__(self, title: str):
        super().__init__()
        self.title = title

    def render_GET(self, request: server.Request) -> bytes:
        request.setHeader(b"content-type", b"text/html; charset=utf-8")
        title = html.escape(self.title)
        return (
            f"<!doctype html><html><head><title>{title}</title></head><body>"
            f"<h1>{title}</h1><p>Marid {html.escape(__version__)}. "
            f'REST API: <a href="api/v2/masters">api/v2</a>.</p></body></html>'
        ).encode()


class StaticUI(static.File):
    """The built UI: ``index.html`` is never cached, the hashed ``assets/`` are cached for good."""

    def render_GET(self, request: server.Request) -> Any:
        immutable = b"/assets/" in (request.path or b"")
        cache = b"public, max-age=31536000, immutable" if immutable else b"no-cache"
        request.setHeader(b"cache-control", cache)
        return super().render_GET(request)

    def directoryListing(self) -> resource.Resource:
        # No listings of the UI's files: a directory without index.html is "not found".
        not_found: resource.Resource = self.childNotFound
        return not_found

    def createSimilarFile(self, path: str) -> static.File:
        similar = StaticUI(path, self.defaultType, self.ignoredExts, self.registry)
        similar.processors = self.processors
        similar.indexNames = self.indexNames[:]
        similar.childNotFound = self.childNotFound
        return similar


class ConfigResource(resource.Resource):
    """``/config``: what the UI needs to know about this master."""

    isLeaf = True

    def __init__(self, www: WWWService):
        super().__init__()
        self.www = www

    def render_GET(self, request: server.Request) -> int:
        d = defer.Deferred.fromCoroutine(self._answer(request))
        d.addErrback(self._failed, request)
        return server.NOT_DONE_YET

    def _failed(self, failure: Failure, request: server.Request) -> None:
        log.failure("/config failed", failure)
        if not request.finished and not request._disconnected:
            request.setResponseCode(500)
            request.write(b'{"error": "internal error"}')
            request.finish()

    async def _answer(self, request: server.Request) -> None:
        request.setHeader(b"content-type", b"application/json; charset=utf-8")
        request.setHeader(b"cache-control", b"no-store")
        try:
            body = await self.www.ui_config(request)
        except Forbidden as error:  # RemoteUserAuth without the proxy's header
            request.setResponseCode(403)
            body = {"error": str(error)}
        request.write(json.dumps(body).encode())
        request.finish()


class WWWService(service.Service):
    def __init__(self, reactor: Any, data: DataConnector):
        self.reactor = reactor
        self.data = data
        self.title = "Marid"
        self.title_url: str | None = None
        self.buildbot_url = "http://localhost:8010/"
        self.port_description: str | None = None
        # IListeningPort; typed Any because zope interfaces do not type-check as protocols.
        self.listening: Any = None
        self.ws_ping_interval: float = 0
        # c['www']['versions']: extra (name, version) pairs for the UI's about page.
        self.extra_versions: list[tuple[str, str]] = []
        self.guard = Guard(data, data.seconds, reactor)
        self.site = self._make_site()
        self.access_log = AccessLog(self.site)

    def _make_site(self, static_dir: Path = STATIC_DIR) -> LimitedSite:
        self.index = IndexResource(self.title)
        root: resource.Resource
        if (static_dir / "index.html").is_file():
            root = StaticUI(str(static_dir))
        else:
            root = resource.Resource()
            root.putChild(b"", self.index)
        root.putChild(b"config", ConfigResource(self))
        api = resource.Resource()
        self.rest = RestResource(self.data, self.guard)
        api.putChild(b"v2", self.rest)
        root.putChild(b"api", api)
        ws_resource, self.ws_factory = make_ws_resource(self)
        root.putChild(b"ws", ws_resource)
        root.putChild(b"auth", make_auth_resource(self.guard))
        site = LimitedSite(root)
        site.displayTracebacks = False
        site.noisy = False
        return site

    async def ui_config(self, request: server.Request) -> dict[str, Any]:
        """``/config`` for ``request``: the auth, its user and, with auth, its CSRF token.

        ``Forbidden`` when ``RemoteUserAuth`` finds no user in the request.
        """
        user = await self.guard.user(request)
        config: dict[str, Any] = {
            "title": self.title,
            "titleURL": self.title_url,
            "buildbotURL": self.buildbot_url,
            "versions": [
                ["marid", __version__],
                ["python", platform.python_version()],
                ["twisted", twisted.__version__],
                *([name, version] for name, version in self.extra_versions),
            ],
            "auth": self.guard.auth.ui_config(),
            "user": user,
        }
        token = self.guard.csrf_token(request)
        if token is not None:
            config["csrf_token"] = token
        return config

    def user_for_headers(self, headers: dict[str, str]) -> dict[str, Any]:
        """The user a websocket handshake's headers (cookie, proxy header) belong to.

        Refuses the handshake (403) when ``RemoteUserAuth`` finds no user in them.
        """
        try:
            return self.guard.user_for_headers(headers)
        except Forbidden as error:
            raise ConnectionDeny(403, str(error)) from None

    async def check_read(self, path: tuple[str, ...], user: dict[str, Any]) -> None:
        """Raise ``WsError(403, ...)`` when ``user`` may not read ``path`` (authz)."""
        try:
            await self.guard.assert_allowed_read(path, user)
        except Forbidden as error:
            raise WsError(403, str(error)) from None

    async def reconfig(self, cfg: Any) -> None:
        """Apply ``cfg``'s port and metadata; reopen the listener only when the port changed.

        The port comes first: if it cannot be opened, nothing else changes.
        """
        if cfg.www.auth is not None:
            await self.guard.load_secret(self.data.db.state)
        if self.listening is None:
            # Nothing to keep: never serve a single request with the defaults (no auth/authz).
            self.guard.configure(cfg.www, cfg.buildbot_url, cfg.basedir)
        if cfg.www_port != self.port_description or self.listening is None:
            await self._listen(cfg.www_port)
        self.guard.configure(cfg.www, cfg.buildbot_url, cfg.basedir)
        self.title = cfg.title
        self.title_url = cfg.title_url
        self.buildbot_url = cfg.buildbot_url
        self.index.title = cfg.title
        self.rest.cache_seconds = cfg.www.json_cache_seconds
        self.rest.limits = BodyLimits.from_config(cfg.www)
        self.site.limits = HttpLimits.from_config(cfg.www)
        self.extra_versions = list(cfg.www.versions)
        self.access_log.configure(
            cfg.basedir, cfg.www.logfile_name, cfg.www.log_rotate_length, cfg.www.max_rotated_files
        )
        if cfg.www.ws_ping_interval != self.ws_ping_interval:
            self.ws_ping_interval = cfg.www.ws_ping_interval
            self.ws_factory.apply_options()

    async def _listen(self, description: str | None) -> None:
        new_port: Any = None
        if description is not None:
            endpoint = endpoints.serverFromString(self.reactor, description)
            new_port = await endpoint.listen(self.site)
        if self.listening is not None:
            await defer.maybeDeferred(self.listening.stopListening)
        self.listening = new_port
        self.port_description = description
        if new_port is not None:
            host = new_port.getHost()
            log.info("web server listening on {host}:{port}", host=host.host, port=host.port)

    def stopService(self) -> defer.Deferred[None] | None:
        super().stopService()
        self.access_log.close()
        if self.listening is not None:
            port, self.listening = self.listening, None
            stopped: defer.Deferred[None] = defer.maybeDeferred(port.stopListening)
            return stopped
        return None
