"""Buildsets: what a scheduler asked to build, on which builders, and whether it is done.

``add_buildset`` stores the buildset and one build request per builder in one
transaction, records the scheduler's name as the ``scheduler`` property, and
publishes ``buildsets/N/new`` then ``buildrequests/M/new`` for each request.
``maybe_buildset_complete`` publishes ``buildsets/N/complete`` once all the
requests are complete, with the worst of their results.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import buildsets as dbbuildsets
from marid.db.buildsets import SourceStampSpec
from marid.db.query import Query


class BuildsetsEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "buildsets"
    patterns = ("buildsets",)
    fields = dbbuildsets.FIELDS
    extra_fields = dbbuildsets.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.buildsets.get_buildsets(query)
        return Page([as_dict(b) for b in items], total)


class BuildsetEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "buildsets"
    patterns = ("buildsets/n:bsid",)
    fields = dbbuildsets.FIELDS
    extra_fields = dbbuildsets.EXTRA_FIELDS

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        buildset = await self.db.buildsets.get_buildset(args["bsid"])
        return as_dict(buildset) if buildset else None


class Buildsets(ResourceType):
    name = "buildsets"

    async def add_buildset(
        self,
        *,
        scheduler: str,
        sourcestamps: Sequence[SourceStampSpec],
        reason: str,
        properties: Mapping[str, tuple[Any, str]] | None = None,
        builderids: Sequence[int],
        waited_for: bool = False,
        external_idstring: str | None = None,
        parent_buildid: int | None = None,
        parent_relationship: str | None = None,
        rebuilt_buildid: int | None = None,
        priority: int = 0,
    ) -> tuple[int, dict[int, int]]:
        """Return ``(bsid, {builderid: buildrequestid})``.

        A source stamp is an ``ssid`` or a dict of ``find_sourcestamp_id``'s
        keyword arguments; ``properties`` are ``{name: (value, source)}``.
        """
        props = dict(properties or {})
        props["scheduler"] = (scheduler, "Scheduler")
        bsid, brids = await self.db.buildsets.add_buildset(
            self.now(),
            sourcestamps=list(sourcestamps),
            reason=reason,
            properties=props,
            builderids=list(builderids),
            waited_for=waited_for,
            external_idstring=external_idstring,
            parent_buildid=parent_buildid,
            parent_relationship=parent_relationship,
            rebuilt_buildid=rebuilt_buildid,
            priority=priority,
        )
        buildset = await self.db.buildsets.get_buildset(bsid)
        self.produce(("buildsets", bsid, "new"), {**as_dict(buildset), "scheduler": scheduler})
        for request in await self.db.buildrequests.get_build_requests_by_ids(list(brids.values())):
            self.produce(("buildrequests", request.buildrequestid, "new"), as_dict(request))
        return bsid, dict(brids)

    async def maybe_buildset_complete(self, bsid: int) -> bool:
        """Complete ``bsid`` if all its requests are; True when this call completed it."""
        if not await self.db.buildsets.complete_buildset_if_done(bsid, self.now()):
            return False
        buildset = await self.db.buildsets.get_buildset(bsid)
        self.produce(("buildsets", bsid, "complete"), as_dict(buildset))
        return True


ENDPOINTS = (BuildsetsEndpoint, BuildsetEndpoint)
