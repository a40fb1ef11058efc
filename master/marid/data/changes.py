"""Changes: commits reported by change sources, pollers and hooks.

``add_change`` stores the change with its source stamp and parent, then
publishes ``changes/N/new`` with the change (schedulers consume it).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import changes as dbchanges
from marid.db.query import Query

# The source recorded with a change's properties, as in Buildbot.
PROPERTY_SOURCE = "Change"


class ChangesEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "changes"
    patterns = ("changes", "builds/n:buildid/changes", "sourcestamps/n:ssid/changes")
    fields = dbchanges.FIELDS
    extra_fields = dbchanges.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.changes.get_changes(
            query, ssid=args.get("ssid"), buildid=args.get("buildid")
        )
        return Page([as_dict(c) for c in items], total)


class ChangeEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "changes"
    patterns = ("changes/n:changeid",)
    fields = dbchanges.FIELDS
    extra_fields = dbchanges.EXTRA_FIELDS

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        change = await self.db.changes.get_change(args["changeid"])
        return as_dict(change) if change else None


class Changes(ResourceType):
    name = "changes"

    async def add_change(
        self,
        *,
        author: str,
        committer: str | None = None,
        files: Sequence[str] = (),
        comments: str = "",
        revision: str | None = None,
        when_timestamp: int | None = None,
        branch: str | None = None,
        category: str | None = None,
        revlink: str | None = "",
        properties: Mapping[str, Any] | None = None,
        repository: str = "",
        codebase: str = "",
        project: str = "",
        src: str | None = None,
    ) -> int:
        """Store a change and publish it; return its id.

        ``properties`` are plain ``{name: value}``, recorded with source ``Change``;
        ``when_timestamp`` defaults to now; ``src`` (the VCS kind) is accepted for
        Buildbot compatibility.
        """
        changeid: int = await self.db.changes.add_change(
            self.now(),
            author=author,
            committer=committer,
            files=list(files),
            comments=comments,
            revision=revision,
            when_timestamp=when_timestamp,
            branch=branch,
            category=category,
            revlink=revlink,
            properties={k: (v, PROPERTY_SOURCE) for k, v in (properties or {}).items()},
            repository=repository,
            codebase=codebase,
            project=project,
        )
        change = await self.db.changes.get_change(changeid)
        self.produce(("changes", changeid, "new"), as_dict(change))
        return changeid


ENDPOINTS = (ChangesEndpoint, ChangeEndpoint)
