"""Masters: which master processes exist and which are alive.

Events: ``masters/N/started``, ``masters/N/stopped``.
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import masters as dbmasters
from marid.db.query import Query

# A master that has not checked in for this long is considered dead.
EXPIRY_SECONDS = 600


class MastersEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "masters"
    patterns = ("masters",)
    fields = dbmasters.FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.masters.get_masters(query)
        return Page([as_dict(m) for m in items], total)


class MasterEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "masters"
    patterns = ("masters/n:masterid",)
    fields = dbmasters.FIELDS

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        master = await self.db.masters.get_master(args["masterid"])
        return as_dict(master) if master else None


class Masters(ResourceType):
    name = "masters"

    async def find_master_id(self, name: str) -> int:
        masterid: int = await self.db.masters.find_master_id(name, self.now())
        return masterid

    async def master_active(self, name: str, masterid: int) -> None:
        """Heartbeat: mark ``masterid`` alive now; the first beat publishes ``started``."""
        if await self.db.masters.set_master_state(masterid, True, self.now()):
            master = await self.db.masters.get_master(masterid)
            self.produce(("masters", masterid, "started"), as_dict(master))

    async def master_stopped(self, name: str, masterid: int) -> None:
        """Mark a master inactive and release what it held.

        Its connected-worker and builder rows go, and its scheduler and change
        source claims are freed so that another master can take them over.
        """
        changed = await self.db.masters.set_master_state(masterid, False, self.now())
        await self.db.workers.forget_master(masterid)
        await self.db.builders.set_master_builders(masterid, [])
        await self.db.schedulers.release_claims_of(masterid)
        await self.db.changesources.release_claims_of(masterid)
        if changed:
            master = await self.db.masters.get_master(masterid)
            self.produce(("masters", masterid, "stopped"), as_dict(master))

    async def expire_masters(self) -> list[int]:
        """Mark masters that stopped checking in as stopped; return their ids."""
        stale = await self.db.masters.find_stale_masters(self.now() - EXPIRY_SECONDS)
        for masterid in stale:
            await self.master_stopped("", masterid)
        return list(stale)


ENDPOINTS = (MastersEndpoint, MasterEndpoint)
