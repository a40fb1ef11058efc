"""Builds: runs of a builder, their state, results and properties.

``properties`` in a build is ``{}`` unless the request asks with
``property=name`` (repeatable; ``*`` for all); the asked ones are loaded for
the whole page in one query, as ``{name: [value, source]}``.

Events: ``builds/N/new``, ``builds/N/update`` (state string, locks time),
``builds/N/finished`` with the build as message, and
``builds/N/properties/update`` with the properties that changed.

Control actions (JSON-RPC on ``builds/N`` and the other paths naming one build):
``stop`` (``reason``, optional ``results``: interrupt the running step; the
build ends CANCELLED; a build that has finished already is a ``ConflictError``)
and ``rebuild`` (a new buildset with the same source stamps and properties;
returns ``[bsid, {builderid: brid}]``). The build
machinery behind them is ``data.master.botmaster``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.data.errors import ConflictError, InvalidControlError, NotFoundError
from marid.data.steps import BUILD_PREFIXES, resolve_buildid
from marid.db import builds as dbbuilds
from marid.db.query import Query

# Path arguments that restrict a collection of builds to one field's value.
_WHERE_ARGS = ("builderid", "buildrequestid", "workerid", "masterid")


class BuildsEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "builds"
    patterns = (
        "builds",
        "builders/n:builderid/builds",
        "builders/i:buildername/builds",
        "buildrequests/n:buildrequestid/builds",
        "workers/n:workerid/builds",
        "masters/n:masterid/builds",
    )
    fields = dbbuilds.FIELDS
    extra_fields = dbbuilds.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        where = {key: args[key] for key in _WHERE_ARGS if key in args}
        if "buildername" in args:
            builderid = await self.data.resolve_builderid(args)
            if builderid is None:
                return Page([], 0)
            where["builderid"] = builderid
        items, total = await self.db.builds.get_builds(
            query, where=where, properties=args.get("_properties", [])
        )
        return Page([as_dict(b) for b in items], total)


class BuildEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "builds"
    patterns = BUILD_PREFIXES
    fields = dbbuilds.FIELDS
    extra_fields = dbbuilds.EXTRA_FIELDS
    actions = {"stop": "control_stop", "rebuild": "control_rebuild"}

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        buildid = await resolve_buildid(self.data, args)
        if buildid is None:
            return None
        build = await self.db.builds.get_build(buildid, properties=args.get("_properties", []))
        return as_dict(build) if build else None

    async def _control_target(
        self, params: dict[str, Any], args: dict[str, Any]
    ) -> tuple[Any, int]:
        reason = params.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise InvalidControlError("'reason' must be a string")
        buildid = await resolve_buildid(self.data, args)
        if buildid is None or await self.db.builds.get_build(buildid) is None:
            raise NotFoundError("no such build")
        botmaster = getattr(self.data.master, "botmaster", None)
        if botmaster is None:
            raise ConflictError("this master runs no builds")
        return botmaster, buildid

    async def control_stop(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        botmaster, buildid = await self._control_target(params, args)
        results = params.get("results", 6)
        if not isinstance(results, int) or isinstance(results, bool) or not 0 <= results <= 6:
            raise InvalidControlError("'results' must be a result number (0 to 6)")
        build = await self.db.builds.get_build(buildid)
        if build is not None and build.complete:
            raise ConflictError(f"build {buildid} has finished already")
        reason = params.get("reason") or "stopped through the API"
        if not await botmaster.stop_build(buildid, reason, results):
            raise ConflictError(f"build {buildid} is not running on this master")

    async def control_rebuild(self, params: dict[str, Any], args: dict[str, Any]) -> list[Any]:
        botmaster, buildid = await self._control_target(params, args)
        bsid, brids = await botmaster.rebuild(buildid, params.get("reason"))
        return [bsid, {str(k): v for k, v in brids.items()}]


class Builds(ResourceType):
    name = "builds"

    async def _produce(self, buildid: int, event: str) -> None:
        build = await self.db.builds.get_build(buildid, written=True)
        if build is not None:
            self.produce(("builds", buildid, event), as_dict(build))

    async def add_build(
        self,
        builderid: int,
        buildrequestid: int,
        workerid: int | None,
        masterid: int,
        state_string: str = "created",
    ) -> tuple[int, int]:
        """Record a build starting now; return ``(buildid, number)``."""
        buildid, number = await self.db.builds.add_build(
            self.now(),
            builderid=builderid,
            buildrequestid=buildrequestid,
            workerid=workerid,
            masterid=masterid,
            state_string=state_string,
        )
        await self._produce(buildid, "new")
        return buildid, number

    async def set_build_state_string(self, buildid: int, state_string: str) -> None:
        await self.db.builds.set_build_state_string(buildid, state_string)
        await self._produce(buildid, "update")

    async def add_build_locks_duration(self, buildid: int, duration_s: int) -> None:
        await self.db.builds.add_build_locks_duration(buildid, duration_s)
        await self._produce(buildid, "update")

    async def finish_build(self, buildid: int, results: int) -> None:
        await self.db.builds.finish_build(buildid, results, self.now())
        await self._produce(buildid, "finished")

    async def set_build_property(self, buildid: int, name: str, value: Any, source: str) -> None:
        await self.set_build_properties(buildid, {name: (value, source)})

    async def set_build_properties(
        self, buildid: int, properties: Mapping[str, tuple[Any, str]]
    ) -> None:
        """Store JSON-encodable ``{name: (value, source)}``; publish the ones that changed."""
        changed = await self.db.builds.set_build_properties(buildid, properties)
        if changed:
            self.produce(("builds", buildid, "properties", "update"), changed)

    async def add_build_data(self, buildid: int, name: str, value: bytes, source: str) -> None:
        """Attach (or replace) a named binary blob, such as test results, to a build."""
        await self.db.builds.add_build_data(buildid, name, value, source)


ENDPOINTS = (BuildsEndpoint, BuildEndpoint)
