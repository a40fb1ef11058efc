"""Source stamps: the exact source a buildset builds (branch, revision, repository, patch).

Stamps are never published on their own: they appear nested in changes and
buildsets, and are read at ``sourcestamps``, ``sourcestamps/N`` and
``buildsets/N/sourcestamps``.
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import sourcestamps as dbsourcestamps
from marid.db.query import Query
from marid.db.sourcestamps import StampFields


class SourceStampsEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "sourcestamps"
    patterns = ("sourcestamps", "buildsets/n:bsid/sourcestamps")
    fields = dbsourcestamps.FIELDS
    extra_fields = ("patch",)

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.sourcestamps.get_sourcestamps(query, bsid=args.get("bsid"))
        return Page([as_dict(s) for s in items], total)


class SourceStampEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "sourcestamps"
    patterns = ("sourcestamps/n:ssid",)
    fields = dbsourcestamps.FIELDS
    extra_fields = ("patch",)

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        stamp = await self.db.sourcestamps.get_sourcestamp(args["ssid"])
        return as_dict(stamp) if stamp else None


class SourceStamps(ResourceType):
    name = "sourcestamps"

    async def find_sourcestamp_id(self, **fields: Any) -> int:
        """The id of the stamp with these ``StampFields``, created if new."""
        ssid: int = await self.db.sourcestamps.find_sourcestamp_id(
            self.now(), StampFields(**fields)
        )
        return ssid


ENDPOINTS = (SourceStampsEndpoint, SourceStampEndpoint)
