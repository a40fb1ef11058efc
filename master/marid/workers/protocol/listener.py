"""The worker port's listening socket, reopened in place when a reconfig moves it.

``PBListener.listen(description)`` opens the new endpoint before closing the
old one, so workers always have somewhere to connect, and a port that cannot
be opened raises with the old listener still serving. The one exception is a
new description on the same port number (say, a different interface): the two
would collide, so the old listener is closed first and reopened if the new one
fails.

TCP and SSL endpoints get a listen backlog of ``DEFAULT_BACKLOG`` unless the
description sets ``backlog=``: Twisted's default of 50 loses connections when
hundreds of workers reconnect at once (after a master restart, say), and a
worker whose handshake was dropped that way waits forever for the greeting.
"""

from __future__ import annotations

from typing import Any

from twisted.internet import defer, endpoints
from twisted.internet.error import CannotListenError
from twisted.logger import Logger

from marid.config.endpoints import split_description

log = Logger()

DEFAULT_BACKLOG = 1024
_BACKLOG_TYPES = ("tcp", "tcp6", "ssl")


def with_backlog(description: str) -> str:
    """``description`` with ``backlog=DEFAULT_BACKLOG`` added to TCP and SSL endpoints."""
    kind, *arguments = split_description(description)
    if kind not in _BACKLOG_TYPES or any(a.startswith("backlog=") for a in arguments):
        return description
    return f"{description}:backlog={DEFAULT_BACKLOG}"


def _port_number(description: str | None) -> str | None:
    if description is None:
        return None
    _, *arguments = split_description(description)
    for argument in arguments:
        name, equals, value = argument.partition("=")
        if not equals:
            return name
        if name == "port":
            return value
    return None


class PBListener:
    """Owns the listening port of the worker protocol."""

    def __init__(self, reactor: Any, factory: Any) -> None:
        self._reactor = reactor
        self._factory = factory
        self.description: str | None = None
        # IListeningPort; Any because zope interfaces do not type-check as protocols.
        self.port: Any = None

    @property
    def address(self) -> tuple[str, int] | None:
        """``(host, port)`` actually listened on, or None when there is no listener."""
        if self.port is None:
            return None
        host = self.port.getHost()
        return str(host.host), int(host.port)

    async def listen(self, description: str | None) -> None:
        """Listen on ``description`` (None: nowhere); raise and keep the old port on failure."""
        if description == self.description and (description is None) == (self.port is None):
            return
        try:
            new_port = await self._open(description)
        except CannotListenError:
            same_port = _port_number(description) == _port_number(self.description)
            if self.port is None or not same_port or _port_number(description) == "0":
                raise
            await self._close()
            try:
                new_port = await self._open(description)
            except CannotListenError:
                self.port = await self._open(self.description)
                raise
        old = self.port
        self.port, self.description = new_port, description
        if old is not None:
            await defer.maybeDeferred(old.stopListening)
        if self.address is not None:
            host, port = self.address
            log.info("worker port listening on {host}:{port}", host=host, port=port)
        else:
            log.info("worker port closed: c['protocols'] has no PB port")

    async def _open(self, description: str | None) -> Any:
        if description is None:
            return None
        endpoint = endpoints.serverFromString(self._reactor, with_backlog(description))
        return await endpoint.listen(self._factory)

    async def _close(self) -> None:
        port, self.port = self.port, None
        if port is not None:
            await defer.maybeDeferred(port.stopListening)

    async def stop(self) -> None:
        await self._close()
        self.description = None
