"""REST ``/api/v2``: reads through the data API, JSON-RPC 2.0 control with POST.

Responses have Buildbot's shapes: a collection is ``{"builds": [...], "meta":
{"total": N}}``, an entity is ``{"builds": [one], "meta": {}}``. Errors are
``{"error": "message"}`` with 400 (bad query), 404 (bad path or missing
entity), 409, or 503 with ``Retry-After`` when the database cannot serve the
request now (disk full, locked past ``c['db']['timeout']``), for reads and
control actions alike; the site answers other methods with a JSON 405
(``httplimits.py``). A POST's body is read within ``c['www']``'s limits
(``rpcbody.py``). Raw downloads are streamed chunk by chunk, honouring the
transport's flow control, so a large log is never held in memory.

Every request passes the ``Guard`` first (see ``guard.py``): reads are
checked with authz and refused with 403 ``{"error": ...}``; a POST is refused
with 403 and a JSON-RPC error when it may be a cross-site forgery or when
authz denies its action. ``OPTIONS`` answers CORS preflights for
``c['www']['allowed_origins']``.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IPushProducer
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.web import resource, server
from twisted.web.iweb import IRequest
from zope.interface import implementer

from marid.data.base import Kind, RawContent
from marid.data.connector import DataConnector
from marid.data.errors import DataError, InvalidControlError
from marid.db.errors import DatabaseUnavailable
from marid.www.authz import Forbidden
from marid.www.guard import Guard
from marid.www.rpcbody import BodyError, BodyLimits, decode, param_problems

log = Logger()

JSON_TYPE = b"application/json; charset=utf-8"
# JSON-RPC error code (in the range reserved for servers) of a refused control request.
RPC_FORBIDDEN = -32001
# Retry-After of a 503 answered because the database is unavailable.
RETRY_AFTER_SECONDS = b"5"


def encode_json(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _decode_args(request: IRequest) -> dict[str, list[str]]:
    args: dict[str, list[str]] = {}
    for key, values in (request.args or {}).items():
        args[key.decode("utf-8", "replace")] = [v.decode("utf-8", "replace") for v in values]
    return args


@implementer(IPushProducer)
class _Stream:
    """Feeds an async iterator of bytes into a request, pausing when the transport is full."""

    def __init__(self, request: server.Request):
        self.request = request
        self.resumed: defer.Deferred[None] | None = None
        self.stopped = False

    def pauseProducing(self) -> None:
        if self.resumed is None:
            self.resumed = defer.Deferred()

    def resumeProducing(self) -> None:
        waiting, self.resumed = self.resumed, None
        if waiting is not None:
            waiting.callback(None)

    def stopProducing(self) -> None:
        self.stopped = True
        self.resumeProducing()

    async def run(self, chunks: AsyncIterator[bytes]) -> None:
        self.request.registerProducer(self, True)
        try:
            async for chunk in chunks:
                if self.stopped:
                    return
                self.request.write(chunk)
                if self.resumed is not None:
                    await self.resumed
        finally:
            self.request.unregisterProducer()


class RestResource(resource.Resource):
    isLeaf = True

    def __init__(self, data: DataConnector, guard: Guard | None = None):
        super().__init__()
        self.data = data
        # Without a guard of the web service's (tests mounting REST alone): no auth, no authz.
        self.guard = guard if guard is not None else Guard(data, data.seconds)
        # c['www']['json_cache_seconds']: how long a browser may reuse a successful read.
        self.cache_seconds = 0
        self.limits = BodyLimits()

    # -- request plumbing ----------------------------------------------------

    def _path(self, request: server.Request) -> tuple[str, ...]:
        return tuple(p.decode("utf-8", "replace") for p in request.postpath if p)  # type: ignore[union-attr]

    def _run(self, request: server.Request, coro: Any) -> int:
        finished = [False]

        def on_gone(_: object) -> None:
            finished[0] = True

        request.notifyFinish().addBoth(on_gone)

        def on_error(failure: Failure) -> None:
            if finished[0]:
                return
            if failure.check(DataError):
                self._error(request, failure.value.status, str(failure.value))  # type: ignore[union-attr]
            elif failure.check(Forbidden):
                self._error(request, 403, str(failure.value))
            elif failure.check(DatabaseUnavailable):
                request.setHeader(b"retry-after", RETRY_AFTER_SECONDS)
                self._error(request, 503, str(failure.value))
            else:
                log.failure("REST request {uri} failed", failure, uri=request.uri)
                self._error(request, 500, "internal error")
            request.finish()

        d = defer.Deferred.fromCoroutine(coro)
        d.addCallbacks(lambda _: None, on_error)
        return server.NOT_DONE_YET

    def _error(self, request: server.Request, status: int, message: str) -> None:
        request.setResponseCode(status)
        request.setHeader(b"content-type", JSON_TYPE)
        request.write(encode_json({"error": message}))

    def _send(self, request: server.Request, body: bytes, status: int = 200) -> None:
        request.setResponseCode(status)
        request.setHeader(b"content-type", JSON_TYPE)
        cacheable = self.cache_seconds and status == 200 and request.method == b"GET"
        cache = f"max-age={self.cache_seconds}".encode() if cacheable else b"no-cache"
        if cacheable and self.guard.enabled:
            cache = b"private, " + cache  # what a user may read depends on who they are
        request.setHeader(b"cache-control", cache)
        request.write(body)
        request.finish()

    # -- GET -----------------------------------------------------------------

    def render_GET(self, request: server.Request) -> int:
        return self._run(request, self._get(request))

    async def _get(self, request: server.Request) -> None:
        path = self._path(request)
        self.guard.cors(request)
        user = await self.guard.user(request)
        await self.guard.assert_allowed_read(path, user)
        if not path:
            self._send(
                request, encode_json({"api_versions": [2], "endpoints": self.endpoint_patterns()})
            )
            return
        result, _ = await self.data.get(path, _decode_args(request))
        if result.kind is Kind.DOCUMENT:
            self._send(request, encode_json(result.document))
            return
        if result.kind is Kind.RAW:
            assert result.raw is not None
            await self._stream(request, result.raw)
            return
        meta: dict[str, Any] = {}
        if result.kind is Kind.COLLECTION:
            meta["total"] = result.total
        self._send(request, encode_json({result.root: result.items, "meta": meta}))

    async def _stream(self, request: server.Request, raw: RawContent) -> None:
        request.setHeader(b"content-type", raw.mime_type.encode("ascii"))
        if not raw.inline:
            disposition = f'attachment; filename="{raw.filename}"'
            request.setHeader(b"content-disposition", disposition.encode())
        await _Stream(request).run(raw.chunks())
        request.finish()

    def endpoint_patterns(self) -> list[str]:
        patterns = set()
        for segments, _ in self.data.router._routes:
            patterns.add(
                "/".join(s.value if s.kind == "lit" else f"{s.kind}:{s.value}" for s in segments)
            )
        return sorted(patterns)

    # -- POST (JSON-RPC 2.0) -------------------------------------------------

    def render_POST(self, request: server.Request) -> int:
        return self._run(request, self._post(request))

    def render_OPTIONS(self, request: server.Request) -> bytes:
        """A CORS preflight: allowed for ``c['www']['allowed_origins']`` only."""
        if not self.guard.cors(request):
            request.setResponseCode(403)
            request.setHeader(b"content-type", JSON_TYPE)
            return encode_json({"error": "this origin is not in c['www']['allowed_origins']"})
        request.setResponseCode(204)
        request.setHeader(b"access-control-allow-methods", b"GET, POST, OPTIONS")
        request.setHeader(b"access-control-allow-headers", b"Content-Type, X-Marid-CSRF")
        request.setHeader(b"access-control-max-age", b"3600")
        return b""

    async def _post(self, request: server.Request) -> None:
        self.guard.cors(request)
        problem = self.guard.control_problem(request)
        if problem is not None:
            self._rpc_error(request, None, RPC_FORBIDDEN, problem, status=403)
            return
        try:
            user = await self.guard.user(request)
        except Forbidden as error:
            self._rpc_error(request, None, RPC_FORBIDDEN, str(error), status=403)
            return
        try:
            body = decode(request.content.read() or b"null", self.limits)  # type: ignore[union-attr]
        except BodyError as error:
            self._rpc_error(request, None, -32700, str(error))
            return
        if not isinstance(body, dict) or not isinstance(body.get("method"), str):
            self._rpc_error(request, None, -32600, "a JSON-RPC request needs a 'method'")
            return
        rpc_id = body.get("id")
        if not isinstance(rpc_id, str | int | float | None) or isinstance(rpc_id, bool):
            rpc_id = None  # JSON-RPC ids are strings, numbers or null
        params = body.get("params", {})
        if not isinstance(params, dict):
            self._rpc_error(request, rpc_id, -32602, "'params' must be an object")
            return
        problems = param_problems(params, self.limits)
        if problems:
            listed = "; ".join(f"{name}: {problem}" for name, problem in problems.items())
            message = f"invalid params: {listed}"
            self._rpc_error(request, rpc_id, -32602, message, data={"errors": problems})
            return
        path = self._path(request)
        endpoint, args = self.data.lookup(path)
        method_name = endpoint.actions.get(body["method"])
        if method_name is None:
            self._rpc_error(
                request, rpc_id, -32601, f"action {body['method']!r} is not supported here"
            )
            return
        try:
            await self.guard.assert_allowed(path, body["method"], params, user)
        except Forbidden as error:
            self._rpc_error(request, rpc_id, RPC_FORBIDDEN, str(error), status=403)
            return
        if self.guard.enabled and body["method"] == "force":
            # As in Buildbot, a logged-in user forces as themselves; others fill the form's name.
            params = {k: v for k, v in params.items() if k != "owner"}
            if user.get("username"):
                params["owner"] = user.get("email") or user["username"]
        try:
            result = await getattr(endpoint, method_name)(params, args)
        except InvalidControlError as error:
            self._rpc_error(request, rpc_id, -32602, str(error), data=error.data)
            return
        except DataError as error:
            self._rpc_error(request, rpc_id, -32000, str(error), status=error.status)
            return
        self._send(request, encode_json({"jsonrpc": "2.0", "id": rpc_id, "result": result}))

    def _rpc_error(
        self,
        request: server.Request,
        rpc_id: Any,
        code: int,
        message: str,
        status: int = 400,
        data: dict[str, object] | None = None,
    ) -> None:
        error: dict[str, Any] = {"code": code, "message": message}
        if data is not None:
            error["data"] = data
        body = {"jsonrpc": "2.0", "id": rpc_id, "error": error}
        self._send(request, encode_json(body), status=status)
