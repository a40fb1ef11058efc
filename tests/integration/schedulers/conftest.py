"""Schedulers running on the ``data`` fixture: one master, its builders, a ``SchedulerManager``.

``environment(data, *schedulers)`` registers a master and builders ``a`` and
``b``, starts a manager on a ``task.Clock`` with those schedulers, and hooks
it up as ``BuildMaster`` will: ``data.master.scheduler_manager``, plus the
``forceschedulers`` endpoints if the connector does not route them yet.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from twisted.internet.task import Clock

from marid.config.master_config import MasterConfig
from marid.data import forceschedulers
from marid.data.errors import InvalidPathError
from marid.schedulers.manager import SchedulerManager
from tests.fixtures.data import RecordingData


def master_config(builders: Iterable[str], schedulers: Sequence[Any]) -> MasterConfig:
    cfg = MasterConfig.defaults(".")
    cfg.builders = [SimpleNamespace(name=name) for name in builders]
    cfg.schedulers = list(schedulers)
    return cfg


def add_force_endpoints(data: RecordingData) -> None:
    try:
        data.lookup("forceschedulers")
        return  # the connector routes them already
    except InvalidPathError:
        pass
    for endpoint_class in forceschedulers.ENDPOINTS:
        endpoint = endpoint_class(data)
        for pattern in endpoint_class.patterns:
            data.router.add(pattern, endpoint)


@dataclass
class Env:
    data: RecordingData
    masterid: int
    builderids: dict[str, int]
    manager: SchedulerManager
    clock: Clock

    async def reconfig(self, *schedulers: Any) -> None:
        await self.manager.reconfig(master_config(self.builderids, schedulers))

    async def buildset(self, bsid: int) -> dict[str, Any]:
        result, _ = await self.data.get(f"buildsets/{bsid}")
        return result.items[0]

    async def properties(self, bsid: int) -> dict[str, Any]:
        result, _ = await self.data.get(f"buildsets/{bsid}/properties")
        return result.items[0]

    async def requests(self, bsid: int) -> list[dict[str, Any]]:
        result, _ = await self.data.get("buildrequests", {"buildsetid": [str(bsid)]})
        return sorted(result.items, key=lambda r: r["builderid"])


async def environment(
    data: RecordingData,
    *schedulers: Any,
    builders: Sequence[str] = ("a", "b"),
    master: str = "m1",
    hook: bool = True,
) -> Env:
    masterid = await data.masters.find_master_id(master)
    await data.masters.master_active(master, masterid)
    builderids = await data.builders.update_builder_list(masterid, list(builders))
    clock = Clock()
    manager = SchedulerManager(clock, data, masterid)
    if hook:
        data.master = SimpleNamespace(scheduler_manager=manager)
        add_force_endpoints(data)
    env = Env(data, masterid, builderids, manager, clock)
    await env.reconfig(*schedulers)
    return env
