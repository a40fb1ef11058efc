"""Builders: names, descriptions, tags and which masters run them.

Events: ``builders/N/started`` and ``builders/N/stopped`` when a master starts
or stops running a builder, ``builders/N/updated`` when its info changes.
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import builders as dbbuilders
from marid.db.query import Query


class BuildersEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "builders"
    patterns = ("builders", "masters/n:masterid/builders")
    fields = dbbuilders.FIELDS
    extra_fields = ("masterids", "tags")

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.builders.get_builders(query, masterid=args.get("masterid"))
        return Page([as_dict(b) for b in items], total)


class BuilderEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "builders"
    patterns = (
        "builders/n:builderid",
        "builders/i:buildername",
        "masters/n:masterid/builders/n:builderid",
    )
    fields = dbbuilders.FIELDS
    extra_fields = ("masterids", "tags")

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        builderid = await self.data.resolve_builderid(args)
        if builderid is None:
            return None
        builder = await self.db.builders.get_builder(builderid)
        if builder is None:
            return None
        if "masterid" in args and args["masterid"] not in builder.masterids:
            return None
        return as_dict(builder)


class Builders(ResourceType):
    name = "builders"

    async def find_builder_id(self, name: str) -> int:
        builderid: int = await self.db.builders.find_builder_id(name)
        return builderid

    async def update_builder_info(
        self,
        builderid: int,
        *,
        description: str | None = None,
        description_format: str | None = None,
        description_html: str | None = None,
        projectid: int | None = None,
        tags: list[str] | None = None,
    ) -> None:
        await self.db.builders.update_builder_info(
            builderid,
            description=description,
            description_format=description_format,
            description_html=description_html,
            projectid=projectid,
            tags=list(tags or []),
        )
        builder = await self.db.builders.get_builder(builderid)
        self.produce(("builders", builderid, "updated"), as_dict(builder))

    async def update_builder_list(self, masterid: int, names: list[str]) -> dict[str, int]:
        """Make ``names`` the builders ``masterid`` runs; return their ids by name."""
        ids = {name: await self.find_builder_id(name) for name in names}
        before, _ = await self.db.builders.get_builders(Query(), masterid=masterid)
        old = {b.builderid for b in before}
        await self.db.builders.set_master_builders(masterid, sorted(ids.values()))
        new = set(ids.values())
        for builderid in sorted(new - old):
            self.produce(
                ("builders", builderid, "started"), {"builderid": builderid, "masterid": masterid}
            )
        for builderid in sorted(old - new):
            self.produce(
                ("builders", builderid, "stopped"), {"builderid": builderid, "masterid": masterid}
            )
        return ids


ENDPOINTS = (BuildersEndpoint, BuilderEndpoint)
