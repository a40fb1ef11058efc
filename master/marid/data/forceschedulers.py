"""Force schedulers: their forms, and the JSON-RPC ``force`` action that runs them.

Paths: ``forceschedulers`` and ``builders/<id or name>/forceschedulers`` (the
force schedulers offering that builder), ``forceschedulers/<name>``. Entities
have Buildbot's keys: ``all_fields``, ``builder_names``, ``button_name``,
``enabled``, ``label``, ``name``. They come from the running
``SchedulerManager``, not from the database (apart from ``enabled``), so
they cannot be filtered or ordered; ``limit`` and ``offset`` apply.

The manager is reached through ``data.master.scheduler_manager``: the
``BuildMaster`` sets ``data.master`` to itself. Without it (a data API with no
master behind it) there are no force schedulers.

``POST forceschedulers/<name>`` with ``{"method": "force", "params": {...}}``
takes the params exactly as Buildbot's UI sends them: ``builderid`` (or
``builderNames``), then one entry per field ``fullName`` (``username``,
``reason``, ``priority``, ``branch``, ...). Without authentication the owner
is the ``owner`` param if given, else the username field. The result is
``[bsid, {"<builderid>": brid}]``. Bad fields give ``ForceParametersError``
(JSON-RPC "invalid params") whose message lists each field and its problem,
and whose ``errors`` hold them by ``fullName``; a disabled scheduler gives a
``ConflictError``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from marid.data.base import Endpoint, Kind, Page
from marid.data.errors import ConflictError, InvalidControlError, NotFoundError
from marid.db.query import Query
from marid.schedulers.errors import (
    ForceValidationError,
    SchedulerDisabledError,
    SchedulerError,
    UnknownBuilderError,
)

if TYPE_CHECKING:
    from marid.schedulers.forcesched import ForceScheduler
    from marid.schedulers.manager import SchedulerManager

KEYS = ("all_fields", "builder_names", "button_name", "enabled", "label", "name")


class ForceParametersError(InvalidControlError):
    """Force parameters were rejected; ``errors`` is ``{fullName: message}``."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = errors
        self.data = {"errors": errors}
        listed = "; ".join(f"{name or 'form'}: {message}" for name, message in errors.items())
        super().__init__(f"invalid force parameters: {listed}")


def scheduler_manager(data: Any) -> SchedulerManager | None:
    """The master's scheduler manager, through the ``data.master`` hook."""
    manager: SchedulerManager | None = getattr(
        getattr(data, "master", None), "scheduler_manager", None
    )
    return manager


async def _with_enabled(data: Any, schedulers: list[ForceScheduler]) -> list[dict[str, Any]]:
    # One query for every scheduler's flag: another master may have changed one.
    rows, _ = await data.db.schedulers.get_schedulers(Query())
    enabled = {row.schedulerid: row.enabled for row in rows}
    for scheduler in schedulers:
        if scheduler.schedulerid in enabled:
            scheduler.enabled = enabled[scheduler.schedulerid]
    return [scheduler.to_json() for scheduler in schedulers]


class ForceSchedulersEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "forceschedulers"
    patterns = (
        "forceschedulers",
        "builders/n:builderid/forceschedulers",
        "builders/i:buildername/forceschedulers",
    )
    extra_fields = KEYS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        manager = scheduler_manager(self.data)
        schedulers = manager.force_schedulers() if manager is not None else []
        if "builderid" in args or "buildername" in args:
            builderid = await self.data.resolve_builderid(args)
            builder = await self.db.builders.get_builder(builderid) if builderid else None
            if builder is None:
                return Page([], 0)
            schedulers = [s for s in schedulers if builder.name in s.builderNames]
        items = await _with_enabled(self.data, schedulers)
        start = query.offset or 0
        end = None if query.limit is None else start + query.limit
        return Page(items[start:end], len(items))


class ForceSchedulerEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "forceschedulers"
    patterns = ("forceschedulers/i:schedulername",)
    extra_fields = KEYS
    actions = {"force": "force"}

    def _find(self, name: str) -> ForceScheduler | None:
        manager = scheduler_manager(self.data)
        if manager is None:
            return None
        return next((s for s in manager.force_schedulers() if s.name == name), None)

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        scheduler = self._find(args["schedulername"])
        if scheduler is None:
            return None
        return (await _with_enabled(self.data, [scheduler]))[0]

    async def force(self, params: dict[str, Any], args: dict[str, Any]) -> list[Any]:
        """JSON-RPC ``force``: ``[bsid, {"builderid": brid}]``."""
        name = args["schedulername"]
        scheduler = self._find(name)
        if scheduler is None:
            raise NotFoundError(f"no force scheduler named {name!r}")
        kwargs = dict(params)
        owner = kwargs.pop("owner", None)
        if owner is not None and not isinstance(owner, str):
            raise ForceParametersError({"owner": "must be a string"})
        builder_names = kwargs.pop("builderNames", None)
        if builder_names is not None and not (
            isinstance(builder_names, list) and all(isinstance(n, str) for n in builder_names)
        ):
            raise ForceParametersError({"builderNames": "must be a list of builder names"})
        try:
            bsid, brids = await scheduler.force(
                owner if isinstance(owner, str) and owner else None,
                builderNames=builder_names,
                builderid=kwargs.pop("builderid", None),
                **kwargs,
            )
        except ForceValidationError as error:
            raise ForceParametersError(error.errors) from None
        except SchedulerDisabledError as error:
            raise ConflictError(str(error)) from None
        except (UnknownBuilderError, SchedulerError) as error:
            raise InvalidControlError(str(error)) from None
        return [bsid, {str(builderid): brid for builderid, brid in brids.items()}]


ENDPOINTS = (ForceSchedulersEndpoint, ForceSchedulerEndpoint)
