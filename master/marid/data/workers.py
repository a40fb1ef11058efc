"""Workers: identity, info, pause and graceful state, where each is configured and connected.

Events: ``workers/N/connected``, ``workers/N/disconnected``,
``workers/N/state_updated``, ``workers/N/missing`` (``worker_missing``, from the
worker manager's missing timer).

Control actions (JSON-RPC on ``workers/N``): ``stop`` (graceful), ``kill``,
``pause``, ``unpause``, each with an optional ``reason``. The data API does not
own connections, so it hands them to ``data.workers.controller``, which the
master's worker manager sets.
"""

from __future__ import annotations

from typing import Any, Protocol

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.data.errors import ConflictError, InvalidControlError, NotFoundError
from marid.db import workers as dbworkers
from marid.db.query import Query


class WorkerController(Protocol):
    """Who carries out worker control actions (the worker manager)."""

    async def control_worker(self, name: str, action: str, reason: str | None) -> None: ...


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
    actions = {
        "stop": "control_stop",
        "kill": "control_kill",
        "pause": "control_pause",
        "unpause": "control_unpause",
    }

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

    async def _control(self, action: str, params: dict[str, Any], args: dict[str, Any]) -> None:
        reason = params.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise InvalidControlError("'reason' must be a string")
        worker = await self.get_entity(Query(), args)
        if worker is None:
            raise NotFoundError("no such worker")
        controller = self.data.workers.controller
        if controller is None:
            raise ConflictError("this master does not manage workers")
        await controller.control_worker(worker["name"], action, reason)

    async def control_stop(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        await self._control("stop", params, args)

    async def control_kill(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        await self._control("kill", params, args)

    async def control_pause(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        await self._control("pause", params, args)

    async def control_unpause(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        await self._control("unpause", params, args)


class Workers(ResourceType):
    name = "workers"
    controller: WorkerController | None = None

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

    async def worker_missing(
        self,
        workerid: int,
        masterid: int,
        name: str,
        notify: list[str],
        last_connection: int | None,
    ) -> None:
        """Publish that a worker stayed away for its ``missing_timeout`` (no DB change)."""
        self.produce(
            ("workers", workerid, "missing"),
            {
                "workerid": workerid,
                "masterid": masterid,
                "name": name,
                "notify": list(notify),
                "last_connection": last_connection,
            },
        )

    async def worker_flags(self, workerid: int) -> tuple[bool, str | None, bool]:
        """``(paused, pause_reason, graceful)`` as stored, for a master taking the worker on."""
        worker = await self.db.workers.get_worker(workerid=workerid)
        if worker is None:
            return False, None, False
        return bool(worker.paused), worker.pause_reason, bool(worker.graceful)


ENDPOINTS = (WorkersEndpoint, WorkerEndpoint)
