"""Steps: the steps of a build, reachable by step id, by build id, or by builder and build number.

This module also owns the path forms shared by everything below a build or a
step (logs, log contents, properties): ``BUILD_PREFIXES`` and
``STEP_PREFIXES``, and ``resolve_buildid``/``resolve_stepid`` that turn their
path arguments into ids with one query.

Events: ``steps/N/new``, ``steps/N/started``, ``steps/N/updated`` (state
string, URLs, hidden, locks), ``steps/N/finished``; the message is the step.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import steps as dbsteps
from marid.db.query import Query

if TYPE_CHECKING:
    from marid.data.connector import DataConnector

BUILD_PREFIXES = (
    "builds/n:buildid",
    "builders/n:builderid/builds/n:build_number",
    "builders/i:buildername/builds/n:build_number",
)
STEP_PREFIXES = (
    "steps/n:stepid",
    *(
        f"{build}/steps/{step}"
        for build in BUILD_PREFIXES
        for step in ("n:step_number", "i:step_name")
    ),
)
_STEP_KEYS = (
    "stepid",
    "buildid",
    "builderid",
    "buildername",
    "build_number",
    "step_number",
    "step_name",
)


def step_locator(args: Mapping[str, Any]) -> dict[str, Any]:
    """The path arguments that name a step, as keywords for the db ``find_*`` methods."""
    return {key: args[key] for key in _STEP_KEYS if key in args}


async def resolve_buildid(data: DataConnector, args: Mapping[str, Any]) -> int | None:
    """The build id named by ``args`` (any ``BUILD_PREFIXES`` form), or None."""
    if "buildid" in args:
        return int(args["buildid"])
    if "build_number" not in args:
        return None
    buildid: int | None = await data.db.builds.find_build_id(
        builderid=args.get("builderid"),
        buildername=args.get("buildername"),
        number=args["build_number"],
    )
    return buildid


async def resolve_stepid(data: DataConnector, args: Mapping[str, Any]) -> int | None:
    """The step id named by ``args`` (any ``STEP_PREFIXES`` form), or None."""
    if "stepid" in args:
        return int(args["stepid"])
    stepid: int | None = await data.db.steps.find_step_id(**step_locator(args))
    return stepid


class StepsEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "steps"
    patterns = tuple(f"{build}/steps" for build in BUILD_PREFIXES)
    fields = dbsteps.FIELDS
    extra_fields = dbsteps.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        buildid = await resolve_buildid(self.data, args)
        if buildid is None:
            return Page([], 0)
        items, total = await self.db.steps.get_steps(query, buildid=buildid)
        return Page([as_dict(s) for s in items], total)


class StepEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "steps"
    patterns = STEP_PREFIXES
    fields = dbsteps.FIELDS
    extra_fields = dbsteps.EXTRA_FIELDS

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        stepid = await resolve_stepid(self.data, args)
        if stepid is None:
            return None
        step = await self.db.steps.get_step(stepid)
        return as_dict(step) if step else None


class Steps(ResourceType):
    name = "steps"

    async def _produce(self, stepid: int, event: str) -> None:
        step = await self.db.steps.get_step(stepid, written=True)
        if step is not None:
            self.produce(("steps", stepid, event), as_dict(step))

    async def add_step(self, buildid: int, name: str) -> tuple[int, int, str]:
        """Add a pending step at the end of ``buildid``; return ``(stepid, number, name)``.

        ``name`` gets ``_1``, ``_2``... appended if the build already has a step of that name.
        """
        stepid, number, unique = await self.db.steps.add_step(buildid, name, "pending")
        await self._produce(stepid, "new")
        return stepid, number, unique

    async def start_step(self, stepid: int, *, locks_acquired: bool = False) -> None:
        await self.db.steps.start_step(stepid, self.now(), locks_acquired=locks_acquired)
        await self._produce(stepid, "started")

    async def set_step_locks_acquired_at(self, stepid: int) -> None:
        await self.db.steps.set_step_locks_acquired_at(stepid, self.now())
        await self._produce(stepid, "updated")

    async def set_step_state_string(self, stepid: int, state_string: str) -> None:
        await self.db.steps.set_step_state_string(stepid, state_string)
        await self._produce(stepid, "updated")

    async def add_step_url(self, stepid: int, name: str, url: str) -> None:
        if await self.db.steps.add_step_url(stepid, name, url):
            await self._produce(stepid, "updated")

    async def set_step_hidden(self, stepid: int, hidden: bool) -> None:
        await self.db.steps.set_step_hidden(stepid, hidden)
        await self._produce(stepid, "updated")

    async def finish_step(self, stepid: int, results: int, *, hidden: bool = False) -> None:
        await self.db.steps.finish_step(stepid, results, self.now(), hidden=hidden)
        await self._produce(stepid, "finished")


ENDPOINTS = (StepsEndpoint, StepEndpoint)
