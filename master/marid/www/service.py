"""The web service: one twisted.web Site on the configured endpoint, reconfigurable live.

The site's tree is ``/`` (the built web UI from ``static/``, or a small
index page when the UI was not built), ``/config`` (what the UI needs to know),
``/api/v2/...`` (REST) and ``/ws`` (live events). When a reconfig changes
``c['www']['port']``, the old listener is closed and the new one opened; a port that cannot be opened fails the reconfig loudly and the
old listener is kept.
"""

from __future__ import annotations

import html
import json
from pathlib import Path
from typing import Any

from twisted.application import service
from twisted.internet import defer, endpoints
from twisted.logger import Logger
from twisted.web import resource, server, static

from marid import __version__
from marid.data.connector import DataConnector
from marid.www.rest import RestResource
from marid.www.ws import make_ws_resource

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

    def render_GET(self, request: server.Request) -> bytes:
        request.setHeader(b"content-type", b"application/json; charset=utf-8")
        return json.dumps(self.www.ui_config()).encode()


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
        self.allowed_origins: list[str] = []
        self.ws_ping_interval: float = 0
        self.site = self._make_site()

    def _make_site(self, static_dir: Path = STATIC_DIR) -> server.Site:
        self.index = IndexResource(self.title)
        root: resource.Resource
        if (static_dir / "index.html").is_file():
            root = StaticUI(str(static_dir))
        else:
            root = resource.Resource()
            root.putChild(b"", self.index)
        root.putChild(b"config", ConfigResource(self))
        api = resource.Resource()
        self.rest = RestResource(self.data)
        api.putChild(b"v2", self.rest)
        root.putChild(b"api", api)
        ws_resource, self.ws_factory = make_ws_resource(self)
        root.putChild(b"ws", ws_resource)
        site = server.Site(root)
        site.displayTracebacks = False
        site.noisy = False
        return site

    def ui_config(self) -> dict[str, Any]:
        return {
            "title": self.title,
            "titleURL": self.title_url,
            "buildbotURL": self.buildbot_url,
            "versions": [["marid", __version__]],
            "auth": {"name": "NoAuth"},
            "user": {"anonymous": True},
        }

    def user_for_headers(self, headers: dict[str, str]) -> dict[str, Any]:
        """The user a websocket handshake's headers (cookie, proxy header) belong to."""
        return {"anonymous": True}

    async def check_read(self, path: tuple[str, ...], user: dict[str, Any]) -> None:
        """Raise ``WsError(403, ...)`` when ``user`` may not read ``path`` (authz)."""

    async def reconfig(self, cfg: Any) -> None:
        """Apply ``cfg``'s port and metadata; reopen the listener only when the port changed.

        The port comes first: if it cannot be opened, nothing else changes.
        """
        if cfg.www_port != self.port_description or self.listening is None:
            await self._listen(cfg.www_port)
        self.title = cfg.title
        self.title_url = cfg.title_url
        self.buildbot_url = cfg.buildbot_url
        self.index.title = cfg.title
        self.allowed_origins = list(cfg.www.allowed_origins)
        self.rest.cache_seconds = cfg.www.json_cache_seconds
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
        if self.listening is not None:
            port, self.listening = self.listening, None
            stopped: defer.Deferred[None] = defer.maybeDeferred(port.stopListening)
            return stopped
        return None
