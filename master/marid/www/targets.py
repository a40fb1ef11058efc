"""What a request is about, for authz: a ``Target`` built from a data API path.

``target_for(data, path, action, params)`` resolves the path with the data
API's router to learn the resource (``builds``, ``forceschedulers``...), and
attaches ``DataFacts``, which look up, only when a matcher asks and at most
once, the builders and owners the target concerns. A path the router does
not know (a websocket filter with ``*``, a mistyped URL) still gives a
target, with no resource and no facts, so that ``AnyEndpointMatcher`` rules
apply to it.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marid.data.base import Endpoint
from marid.data.bounds import in_int64
from marid.data.connector import DataConnector
from marid.data.errors import DataError
from marid.data.forceschedulers import scheduler_manager
from marid.data.steps import resolve_buildid
from marid.www.authz import Facts, NoFacts, Target

_OWNER_PROPERTIES = ("owner", "owners")


def _owner_values(properties: Mapping[str, list[Any]] | None) -> list[str]:
    owners: list[str] = []
    for name in _OWNER_PROPERTIES:
        value = (properties or {}).get(name, [None])[0]
        values = value if isinstance(value, list) else [value]
        owners.extend(v for v in values if isinstance(v, str) and v)
    return owners


class DataFacts:
    """Facts read through the data API's database for one endpoint and its arguments."""

    def __init__(
        self,
        data: DataConnector,
        endpoint: Endpoint,
        args: dict[str, Any],
        params: Mapping[str, Any],
    ) -> None:
        self.data = data
        self.resource = endpoint.root
        self.args = args
        self.params = params
        self._builders: list[str] | None = None
        self._owners: list[str] | None = None

    async def builder_names(self) -> list[str]:
        if self._builders is None:
            self._builders = await self._find_builder_names()
        return self._builders

    async def owners(self) -> list[str]:
        if self._owners is None:
            self._owners = await self._find_owners()
        return self._owners

    async def _builder_name(self, builderid: object) -> list[str]:
        try:
            number = int(str(builderid))
        except ValueError:
            return []
        if not in_int64(number):
            return []
        builder = await self.data.db.builders.get_builder(number)
        return [builder.name] if builder is not None else []

    async def _find_builder_names(self) -> list[str]:
        db = self.data.db
        if self.resource == "builds":
            buildid = await resolve_buildid(self.data, self.args)
            build = await db.builds.get_build(buildid) if buildid is not None else None
            return await self._builder_name(build.builderid) if build else []
        if self.resource == "buildrequests" and "buildrequestid" in self.args:
            request = await db.buildrequests.get_build_request(self.args["buildrequestid"])
            return await self._builder_name(request.builderid) if request else []
        if self.resource == "forceschedulers":
            names = self.params.get("builderNames")
            if isinstance(names, list) and all(isinstance(n, str) for n in names):
                return list(names)
            if self.params.get("builderid") not in (None, ""):
                return await self._builder_name(self.params["builderid"])
            manager = scheduler_manager(self.data)
            name = self.args.get("schedulername")
            for scheduler in manager.force_schedulers() if manager is not None else []:
                if scheduler.name == name:
                    return list(scheduler.builderNames)
        return []

    async def _find_owners(self) -> list[str]:
        db = self.data.db
        brid: int | None = None
        owners: list[str] = []
        if self.resource == "builds":
            buildid = await resolve_buildid(self.data, self.args)
            build = await db.builds.get_build(buildid, properties=["owner"]) if buildid else None
            if build is None:
                return []
            owners.extend(_owner_values(build.properties))
            brid = build.buildrequestid
        elif self.resource == "buildrequests":
            brid = self.args.get("buildrequestid")
        if brid is not None:
            request = await db.buildrequests.get_build_request(brid, properties=_OWNER_PROPERTIES)
            if request is not None:
                owners.extend(o for o in _owner_values(request.properties) if o not in owners)
        return owners


async def target_for(
    data: DataConnector | None,
    path: tuple[str, ...],
    action: str = "get",
    params: Mapping[str, Any] | None = None,
) -> Target:
    """The target of ``action`` (``"get"`` for a read) on ``path``."""
    facts: Facts = NoFacts()
    resource: str | None = None
    if data is not None and path:
        try:
            endpoint, args = data.lookup(path)
        except DataError:
            pass
        else:
            resource = endpoint.root
            facts = DataFacts(data, endpoint, args, params or {})
    return Target(path, action, resource, facts)
