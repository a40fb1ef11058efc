"""Aggregate reads for the web UI: one request per page instead of dozens.

``ui/home`` (running and recent builds, workers and queue summary),
``ui/builders`` (the builders a master configures, or all with
``inactive=1``, with their last builds and their running and pending
counts) and ``ui/build/N`` (a build with its properties, steps and their
logs, worker, changes, request, triggered builds and parent). Their answers
are documents of their own shape, described in docs/rest-api.md; each is
read in one database transaction (``db/views.py``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marid.data.base import Endpoint, Kind
from marid.data.errors import InvalidQueryError

MAX_RECENT = 500
MAX_LAST = 50


def int_arg(args: Mapping[str, list[str]], name: str, default: int, top: int) -> int:
    """The query argument ``name`` as an int in ``0..top``; 400 when it is not one."""
    values = args.get(name)
    if not values:
        return default
    text = values[-1].strip()
    digits = text.lstrip("+-").lstrip("0")
    if digits.isdigit() and len(digits) > len(str(top)):
        raise InvalidQueryError(f"{name!r} must be between 0 and {top}, not {text[:40]}")
    try:
        value = int(text)
    except ValueError:
        raise InvalidQueryError(f"{name!r} must be an integer, not {values[-1][:40]!r}") from None
    if not 0 <= value <= top:
        raise InvalidQueryError(f"{name!r} must be between 0 and {top}, not {value}")
    return value


class HomeEndpoint(Endpoint):
    kind = Kind.DOCUMENT
    root = "home"
    patterns = ("ui/home",)

    async def get_document(self, args: dict[str, Any]) -> dict[str, Any] | None:
        recent = int_arg(args["_args"], "recent", 50, MAX_RECENT)
        document: dict[str, Any] = await self.db.views.home(recent)
        return document


class BuildersViewEndpoint(Endpoint):
    kind = Kind.DOCUMENT
    root = "builders"
    patterns = ("ui/builders",)

    async def get_document(self, args: dict[str, Any]) -> dict[str, Any] | None:
        last = int_arg(args["_args"], "last", 5, MAX_LAST)
        inactive = bool(int_arg(args["_args"], "inactive", 0, 1))
        document: dict[str, Any] = await self.db.views.builders(last, inactive=inactive)
        return document


class BuildViewEndpoint(Endpoint):
    kind = Kind.DOCUMENT
    root = "build"
    patterns = ("ui/build/n:buildid",)

    async def get_document(self, args: dict[str, Any]) -> dict[str, Any] | None:
        document: dict[str, Any] | None = await self.db.views.build(args["buildid"])
        return document


ENDPOINTS = (HomeEndpoint, BuildersViewEndpoint, BuildViewEndpoint)
