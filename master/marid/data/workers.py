"""Workers: identity, info, pause and graceful state, where each is configured and connected.

Events: ``workers/N/connected``, ``workers/N/disconnected``,
``workers/N/state_updated``, ``workers/N/missing`` (published by the worker
manager).
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.db import workers as dbworkers
from marid.db.query import Query


class WorkersEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "workers"
    patterns = (
        "workers",
        "builders/n:builderid/workers",
        "masters/n:masterid/workers",
        "masters/n:masterid/builders/n:builderid/workers",
    )
    fields = dbworkers.FIELDS
    extra_fields = ("workerinfo", "configured_on", "connected_to")

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.workers.get_workers(
            query, masterid=args.get("masterid"), builderid=args.get("builderid")
        )
        return Page([as_dict(w) for w in items], total)


class WorkerEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "workers"
    patterns = (
        "workers/n:workerid",
        "workers/i:name",
        "builders/n:builderid/workers/n:workerid",
        "masters/n:masterid/workers/n:workerid",
    )
    fields = dbworkers.FIELDS
    extra_fields = ("workerinfo", "configured_on", "connected_to")

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        worker = await self.db.workers.get_worker(
            workerid=args.get("workerid"), name=args.get("name")
        )
        if worker is None:
            return None
        if "builderid" in args and all(
            c["builderid"] != args["builderid"] for c in worker.configured_on
        ):
            return None
        if "masterid" in args and not any(
            c["masterid"] == args["masterid"] for c in worker.configured_on + worker.connected_to
        ):
            return None
        return as_dict(worker)


class Workers(ResourceType):
    name = "workers"

    async def find_worker_id(self, name: str) -> int:
        workerid: int = await self.db.workers.find_worker_id(name)
        return workerid

    async def worker_configured(self, workerid: int, masterid: int, builderids: list[int]) -> None:
        await self.db.workers.worker_configured(workerid, masterid, builderids)

    async def deconfigure_all_except(self, masterid: int, keep: list[int]) -> None:
        await self.db.workers.deconfigure_all_except(masterid, keep)

    async def worker_connected(
        self, workerid: int, masterid: int, workerinfo: dict[str, Any]
    ) -> None:
        await self.db.workers.worker_connected(workerid, masterid, workerinfo)
        worker = await self.db.workers.get_worker(workerid=workerid)
        self.produce(("workers", workerid, "connected"), {**as_dict(worker), "masterid": masterid})

    async def worker_disconnected(self, workerid: int, masterid: int) -> None:
        await self.db.workers.worker_disconnected(workerid, masterid)
        worker = await self.db.workers.get_worker(workerid=workerid)
        self.produce(
            ("workers", workerid, "disconnected"), {**as_dict(worker), "masterid": masterid}
        )

    async def set_worker_state(
        self, workerid: int, *, paused: bool, graceful: bool, pause_reason: str | None = None
    ) -> None:
        await self.db.workers.set_worker_state(
            workerid, paused=paused, graceful=graceful, pause_reason=pause_reason
        )
        worker = await self.db.workers.get_worker(workerid=workerid)
        self.produce(("workers", workerid, "state_updated"), as_dict(worker))


ENDPOINTS = (WorkersEndpoint, WorkerEndpoint)
