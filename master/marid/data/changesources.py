"""Change sources: which exist and which master runs each (claimed like schedulers).

No events: a change source shows itself through the changes it adds.
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import changesources as dbchangesources
from marid.db.query import Query


class ChangeSourcesEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "changesources"
    patterns = ("changesources", "masters/n:masterid/changesources")
    fields = dbchangesources.FIELDS
    extra_fields = dbchangesources.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.changesources.get_changesources(
            query, masterid=args.get("masterid")
        )
        return Page([as_dict(c) for c in items], total)


class ChangeSourceEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "changesources"
    patterns = (
        "changesources/n:changesourceid",
        "masters/n:masterid/changesources/n:changesourceid",
    )
    fields = dbchangesources.FIELDS
    extra_fields = dbchangesources.EXTRA_FIELDS

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        source = await self.db.changesources.get_changesource(args["changesourceid"])
        if source is None:
            return None
        if "masterid" in args and (source.master or {}).get("masterid") != args["masterid"]:
            return None
        return as_dict(source)


class ChangeSources(ResourceType):
    name = "changesources"

    async def find_changesource_id(self, name: str) -> int:
        changesourceid: int = await self.db.changesources.find_changesource_id(name)
        return changesourceid

    async def set_changesource_master(self, changesourceid: int, masterid: int | None) -> bool:
        """Claim it for ``masterid`` (None releases it); False if another master holds it."""
        claimed: bool = await self.db.changesources.set_changesource_master(
            changesourceid, masterid
        )
        return claimed


ENDPOINTS = (ChangeSourcesEndpoint, ChangeSourceEndpoint)
