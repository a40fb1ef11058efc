"""``DataConnector``: routes reads to endpoints and holds every resource's updates.

``get(path, args)`` is what REST and the websocket call; updates are reached
as ``data.<resource>.<method>`` (``data.workers.worker_connected(...)``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from marid.data import (
    builders,
    buildrequests,
    builds,
    buildsets,
    changes,
    changesources,
    forceschedulers,
    logchunks,
    logs,
    logsearch,
    masters,
    properties,
    schedulers,
    sourcestamps,
    steps,
    ui,
    workers,
)
from marid.data.base import Endpoint, Kind, Page, RawContent
from marid.data.errors import InvalidPathError, NotFoundError
from marid.data.resultspec import ResultSpec, parse_args
from marid.data.router import Router
from marid.db.connector import DBConnector
from marid.mq.simple import SimpleMQ

ENDPOINT_MODULES = (
    masters,
    builders,
    workers,
    sourcestamps,
    changes,
    buildsets,
    buildrequests,
    builds,
    steps,
    logs,
    logchunks,
    properties,
    schedulers,
    changesources,
    forceschedulers,
    ui,
    logsearch,
)


@dataclass
class Result:
    """A read's answer: ``items`` for collections and entities, ``raw`` for downloads."""

    kind: Kind
    root: str
    items: list[dict[str, Any]]
    total: int | None = None
    raw: RawContent | None = None
    document: dict[str, Any] | None = None


def split_path(path: str | tuple[str, ...]) -> tuple[str, ...]:
    if isinstance(path, tuple):
        return path
    return tuple(p for p in path.strip("/").split("/") if p)


class DataConnector:
    def __init__(self, db: DBConnector, mq: SimpleMQ, seconds: Callable[[], float]):
        self.db = db
        self.mq = mq
        self.seconds = seconds
        # The BuildMaster sets itself here; endpoints that drive runtime services
        # (forceschedulers -> master.scheduler_manager) reach them through it.
        self.master: Any = None
        self.router: Router[Endpoint] = Router()
        for module in ENDPOINT_MODULES:
            for endpoint_class in module.ENDPOINTS:
                endpoint = endpoint_class(self)
                for pattern in endpoint_class.patterns:
                    self.router.add(pattern, endpoint)
        self.masters = masters.Masters(self)
        self.builders = builders.Builders(self)
        self.workers = workers.Workers(self)
        self.sourcestamps = sourcestamps.SourceStamps(self)
        self.changes = changes.Changes(self)
        self.buildsets = buildsets.Buildsets(self)
        self.buildrequests = buildrequests.BuildRequests(self)
        self.builds = builds.Builds(self)
        self.steps = steps.Steps(self)
        self.logs = logs.Logs(self)
        self.schedulers = schedulers.Schedulers(self)
        self.changesources = changesources.ChangeSources(self)

    def lookup(self, path: str | tuple[str, ...]) -> tuple[Endpoint, dict[str, Any]]:
        parts = split_path(path)
        found = self.router.match(parts)
        if found is None:
            raise InvalidPathError(f"Invalid path: {'/'.join(parts)}")
        return found

    async def get(
        self, path: str | tuple[str, ...], args: Mapping[str, list[str]] | None = None
    ) -> tuple[Result, ResultSpec]:
        endpoint, path_args = self.lookup(path)
        if endpoint.kind is Kind.DOCUMENT:
            document = await endpoint.get_document({**path_args, "_args": args or {}})
            if document is None:
                raise NotFoundError(f"not found: {'/'.join(split_path(path))}")
            return Result(Kind.DOCUMENT, endpoint.root, [], document=document), parse_args(
                {}, endpoint.fields
            )
        spec = parse_args(args or {}, endpoint.fields, entity_fields=set(endpoint.extra_fields))
        if endpoint.kind is Kind.RAW:
            raw = await endpoint.get_raw(path_args)
            if raw is None:
                raise NotFoundError(f"not found: {'/'.join(split_path(path))}")
            return Result(Kind.RAW, endpoint.root, [], raw=raw), spec
        if endpoint.kind is Kind.ENTITY:
            entity = await endpoint.get_entity(
                spec.query, {**path_args, "_properties": spec.properties}
            )
            if entity is None:
                raise NotFoundError(f"not found: {'/'.join(split_path(path))}")
            return Result(Kind.ENTITY, endpoint.root, _project([entity], spec)), spec
        page: Page = await endpoint.get_page(
            spec.query, {**path_args, "_properties": spec.properties}
        )
        return Result(Kind.COLLECTION, endpoint.root, _project(page.items, spec), page.total), spec

    async def resolve_builderid(self, args: Mapping[str, Any]) -> int | None:
        """A builder id from path arguments that name it by id or by name."""
        if "builderid" in args:
            return int(args["builderid"])
        name = args.get("buildername")
        if name is None:
            return None
        from marid.db.base import name_hash  # local: only name lookups need it

        builderid: int | None = await self.db.pool.read(_builderid_by_hash, name_hash(name))
        return builderid


def _project(items: list[dict[str, Any]], spec: ResultSpec) -> list[dict[str, Any]]:
    if spec.fields is None:
        return items
    return [{k: item[k] for k in spec.fields if k in item} for item in items]


def _builderid_by_hash(conn: Any, digest: str) -> int | None:
    import sqlalchemy as sa

    from marid.db import model

    row = conn.execute(
        sa.select(model.builders.c.id).where(model.builders.c.name_hash == digest)
    ).first()
    return int(row[0]) if row else None
