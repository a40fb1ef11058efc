"""Properties of a build or a buildset, as one ``{name: [value, source]}`` dict.

``builds/N/properties`` answers ``{"properties": [{...}], "meta": {}}``; a build
without properties gives ``{}``, a build that does not exist a 404. Properties
are written through ``data.builds.set_build_properties`` and
``data.buildsets.add_buildset``.
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind
from marid.data.steps import BUILD_PREFIXES, resolve_buildid
from marid.db.query import Query


class BuildPropertiesEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "properties"
    patterns = tuple(f"{build}/properties" for build in BUILD_PREFIXES)

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        buildid = await resolve_buildid(self.data, args)
        if buildid is None:
            return None
        properties: dict[str, Any] | None = await self.db.builds.get_build_properties(buildid)
        return properties


class BuildsetPropertiesEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "properties"
    patterns = ("buildsets/n:bsid/properties",)

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        properties: dict[str, Any] | None = await self.db.buildsets.get_buildset_properties(
            args["bsid"]
        )
        return properties


ENDPOINTS = (BuildPropertiesEndpoint, BuildsetPropertiesEndpoint)
