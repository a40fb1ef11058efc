"""Schedulers: which exist, whether each is enabled, and which master runs it.

A scheduler runs on one master at a time; ``set_scheduler_master`` is the
claim and returns False when another master holds it. The ``enable`` control
action (JSON-RPC on ``schedulers/N``) turns a scheduler on or off.

Events: ``schedulers/N/updated`` when enabled changes, with the scheduler.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.data.errors import InvalidControlError
from marid.db import schedulers as dbschedulers
from marid.db.query import Query


class SchedulersEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "schedulers"
    patterns = ("schedulers", "masters/n:masterid/schedulers")
    fields = dbschedulers.FIELDS
    extra_fields = dbschedulers.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        items, total = await self.db.schedulers.get_schedulers(query, masterid=args.get("masterid"))
        return Page([as_dict(s) for s in items], total)


class SchedulerEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "schedulers"
    patterns = ("schedulers/n:schedulerid", "masters/n:masterid/schedulers/n:schedulerid")
    fields = dbschedulers.FIELDS
    extra_fields = dbschedulers.EXTRA_FIELDS
    actions = {"enable": "enable"}

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        scheduler = await self.db.schedulers.get_scheduler(args["schedulerid"])
        if scheduler is None:
            return None
        if "masterid" in args and (scheduler.master or {}).get("masterid") != args["masterid"]:
            return None
        return as_dict(scheduler)

    async def enable(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        enabled = params.get("enabled")
        if not isinstance(enabled, bool):
            raise InvalidControlError("'enabled' must be true or false")
        if await self.get_entity(Query(), args) is None:
            raise InvalidControlError(f"no scheduler {args['schedulerid']}")
        await self.data.schedulers.set_scheduler_enabled(args["schedulerid"], enabled)


class Schedulers(ResourceType):
    name = "schedulers"

    async def find_scheduler_id(self, name: str) -> int:
        schedulerid: int = await self.db.schedulers.find_scheduler_id(name)
        return schedulerid

    async def set_scheduler_master(self, schedulerid: int, masterid: int | None) -> bool:
        """Claim the scheduler for ``masterid`` (None releases it); False if another holds it."""
        claimed: bool = await self.db.schedulers.set_scheduler_master(schedulerid, masterid)
        return claimed

    async def set_scheduler_enabled(self, schedulerid: int, enabled: bool) -> None:
        await self.db.schedulers.set_scheduler_enabled(schedulerid, enabled)
        scheduler = await self.db.schedulers.get_scheduler(schedulerid)
        self.produce(("schedulers", schedulerid, "updated"), as_dict(scheduler))

    async def classify_changes(self, schedulerid: int, classifications: Mapping[int, bool]) -> None:
        """Remember, per change id, whether the change is important to the scheduler."""
        await self.db.schedulers.classify_changes(schedulerid, dict(classifications))

    async def flush_change_classifications(
        self, schedulerid: int, less_than: int | None = None
    ) -> None:
        await self.db.schedulers.flush_change_classifications(schedulerid, less_than)


ENDPOINTS = (SchedulersEndpoint, SchedulerEndpoint)
