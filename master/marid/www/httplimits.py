"""What one HTTP request may hold, enforced where twisted.web reads it, with an answer.

Twisted's ``HTTPChannel`` closes the connection without a word when a line
is too long and answers a bare 400 when the headers are too many or too
large. ``LimitedChannel`` answers instead, as JSON ``{"error": ...}``:

- 414 when the request line (the URL) is longer than ``max_url_length``;
- 431 when the header lines add up to more than ``max_header_size`` bytes
  (or more than ``MAX_HEADERS`` of them);
- 413 when the body is, or grows, larger than ``max_request_body``: a
  ``Content-Length`` is checked before any of the body is read, a chunked
  body as it arrives.

A method that a resource does not have (``PUT``, ``DELETE``, ...) gets a JSON
405 with ``Allow`` from ``JsonErrorsRequest``, where Twisted would send an
HTML 501 page.

After a 413, 414 or 431 the channel stops parsing, closes its sending side and
reads and throws away what the client still sends for ``LINGER`` seconds,
so that the client sees the answer rather than a reset connection; then it
closes. ``LimitedSite`` builds these channels and holds the ``HttpLimits``
that a reconfig changes in place, so open connections see the new values.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from twisted.logger import Logger
from twisted.web import http, server
from twisted.web.error import UnsupportedMethod

from marid.config.master_config import WwwConfig
from marid.www.accesslog import AccessLoggingSite

log = Logger()

# Header lines one request may have (Twisted's own default).
MAX_HEADERS = 500
# Seconds a refused connection is read (and discarded) before it is closed.
LINGER = 5.0

# The order in which an ``Allow`` header lists methods.
_ORDER = {method: rank for rank, method in enumerate((b"GET", b"HEAD", b"POST", b"OPTIONS"))}
_REASONS = {
    413: b"Content Too Large",
    414: b"URI Too Long",
    431: b"Request Header Fields Too Large",
}


@dataclass
class HttpLimits:
    """``c['www']``'s ``max_request_body``, ``max_url_length`` and ``max_header_size``."""

    max_request_body: int = WwwConfig.max_request_body
    max_url_length: int = WwwConfig.max_url_length
    max_header_size: int = WwwConfig.max_header_size

    @classmethod
    def from_config(cls, www: WwwConfig) -> HttpLimits:
        return cls(www.max_request_body, www.max_url_length, www.max_header_size)


def refusal(status: int, message: str) -> bytes:
    """A whole HTTP/1.1 response: ``status`` with ``{"error": message}``, closing."""
    body = json.dumps({"error": message}).encode("utf-8")
    head = (
        b"HTTP/1.1 %d %s\r\n" % (status, _REASONS.get(status, b"Error"))
        + b"Content-Type: application/json; charset=utf-8\r\n"
        + b"Content-Length: %d\r\n" % len(body)
        + b"Connection: close\r\n\r\n"
    )
    return head + body


class LimitedChannel(http.HTTPChannel):
    """An ``HTTPChannel`` that answers 413, 414 or 431 instead of dropping the connection."""

    site: LimitedSite
    _refused = False
    _awaiting_request_line = True
    _header_bytes = 0
    _header_lines = 0
    _chunked_bytes = 0
    _linger: Any = None

    @property
    def limits(self) -> HttpLimits:
        return self.site.limits

    def connectionMade(self) -> None:
        limits = self.limits
        # Twisted's own limits sit just above ours, so that ours answer first.
        self.MAX_LENGTH = max(limits.max_url_length, limits.max_header_size) + 1
        self.totalHeadersSize = limits.max_url_length + limits.max_header_size + 2
        self.maxHeaders = MAX_HEADERS + 1
        super().connectionMade()

    def dataReceived(self, data: bytes) -> None:
        if self._refused:
            return  # discarded while lingering
        super().dataReceived(data)

    def lineReceived(self, line: bytes) -> None:
        if self._refused:
            return  # the rest of a buffer that held the refused request
        limits = self.limits
        if self._awaiting_request_line:
            if line:  # (an empty line before a request is tolerated, as Twisted does)
                if len(line) > limits.max_url_length:
                    self.refuse(414, f"the URL is longer than {limits.max_url_length} bytes")
                    return
                self._awaiting_request_line = False
                self._header_bytes = self._header_lines = self._chunked_bytes = 0
        elif line:
            self._header_bytes += len(line)
            self._header_lines += 1
            if self._header_bytes > limits.max_header_size or self._header_lines > MAX_HEADERS:
                self.refuse(
                    431,
                    f"the headers are larger than {limits.max_header_size} bytes "
                    f"or more than {MAX_HEADERS} lines",
                )
                return
        else:
            self._awaiting_request_line = True  # the headers end; the next line starts a request
        super().lineReceived(line)

    def lineLengthExceeded(self, line: bytes) -> None:
        if self._awaiting_request_line:
            self.refuse(414, f"the URL is longer than {self.limits.max_url_length} bytes")
        else:
            self.refuse(431, f"a header is longer than {self.limits.max_header_size} bytes")

    def allHeadersReceived(self) -> None:
        limit = self.limits.max_request_body
        if self.length is not None and self.length > limit:
            self.refuse(413, f"the request body is larger than {limit} bytes")
            return
        super().allHeadersReceived()

    def rawDataReceived(self, data: bytes) -> None:
        if self._refused:
            return
        if self.length is None and not self._handlingRequest:
            # A chunked body: counted with its framing, which is close enough for a limit.
            self._chunked_bytes += len(data)
            limit = self.limits.max_request_body
            if self._chunked_bytes > limit:
                self.refuse(413, f"the request body is larger than {limit} bytes")
                return
        super().rawDataReceived(data)

    def refuse(self, status: int, message: str) -> None:
        """Answer ``status`` and stop reading requests from this connection."""
        if self._refused or self.transport is None:
            return
        self._refused = True
        self.setTimeout(None)
        transport: Any = self.transport
        log.info(
            "refused a request from {peer}: {status} {message}",
            peer=transport.getPeer(),
            status=status,
            message=message,
        )
        transport.write(refusal(status, message))
        if hasattr(transport, "loseWriteConnection"):
            transport.loseWriteConnection()
        else:  # (TLS) no half-close: the client may see a reset instead of the answer
            transport.loseConnection()
        self._linger = self.callLater(LINGER, self._close_after_linger)

    def _close_after_linger(self) -> None:
        self._linger = None
        transport: Any = self.transport
        if transport is not None:
            transport.abortConnection()

    def connectionLost(self, reason: Any = None) -> None:
        if self._linger is not None and self._linger.active():
            self._linger.cancel()
        self._linger = None
        super().connectionLost(reason)


class _MethodsAsJson:
    """Renders a resource, answering a method it does not have with a JSON 405."""

    def __init__(self, resource: Any) -> None:
        self.resource = resource

    def render(self, request: server.Request) -> Any:
        try:
            return self.resource.render(request)
        except UnsupportedMethod as error:
            methods: Any = error.allowedMethods
            given = {method for method in methods if isinstance(method, bytes)}
            allowed = sorted(given, key=lambda method: (_ORDER.get(method, len(_ORDER)), method))
            if request.method == b"HEAD" and b"GET" in allowed:
                raise  # Twisted answers HEAD with the GET's headers
            request.setResponseCode(405)
            request.setHeader(b"allow", b", ".join(allowed))
            request.setHeader(b"content-type", b"application/json; charset=utf-8")
            method = request.method.decode("ascii", "replace")
            names = ", ".join(name.decode("ascii", "replace") for name in allowed)
            return json.dumps({"error": f"{method} is not allowed here; use {names}"}).encode()

    def __repr__(self) -> str:
        return repr(self.resource)


class JsonErrorsRequest(server.Request):
    """A request whose unsupported methods are answered with JSON (see ``_MethodsAsJson``)."""

    def render(self, resrc: Any) -> None:
        super().render(_MethodsAsJson(resrc))


class LimitedSite(AccessLoggingSite):
    """The web service's ``Site``: ``LimitedChannel``s that share one ``HttpLimits``."""

    protocol: Any = LimitedChannel
    requestFactory: Any = JsonErrorsRequest

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limits = HttpLimits()
