"""``SchedulerManager``: the running schedulers of one master, in step with the config.

On each reconfig the manager compares every configured scheduler with the
running one of the same name, by value (``marid.config.diff.same_value``,
which ignores runtime state): an unchanged scheduler keeps running, so its
claim and timers are untouched; a changed one is stopped and the new object
started; a removed one is stopped (giving up its claim). Removals and
changes are stopped before additions are started, so a scheduler can move
between classes under one name.

The running objects are the ones to call: after a reconfig that changed
nothing, ``cfg.schedulers`` holds fresh copies that were never started.
``get(name)`` and ``force_schedulers()`` answer with the running ones.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.application import service
from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from marid.config.diff import same_value
from marid.config.master_config import MasterConfig
from marid.schedulers.base import BaseScheduler, SchedulerContext
from marid.schedulers.forcesched import ForceScheduler

if TYPE_CHECKING:
    from marid.data.connector import DataConnector

log = Logger()


class SchedulerManager(service.Service):
    """Starts, stops and replaces schedulers by name."""

    name = "schedulers"

    def __init__(self, clock: IReactorTime, data: DataConnector, masterid: int) -> None:
        self.context = SchedulerContext(data=data, masterid=masterid, clock=clock)
        self._schedulers: dict[str, BaseScheduler] = {}
        # A reconfig and a stop must not interleave their starts and stops.
        self._lock = defer.DeferredLock()

    async def reconfig(self, cfg: MasterConfig) -> None:
        """Make the running schedulers those of ``cfg``; restart only the changed ones."""
        await self._lock.acquire()
        try:
            await self._apply(cfg)
        finally:
            self._lock.release()

    async def _apply(self, cfg: MasterConfig) -> None:
        self.context.validation = cfg.validation
        self.context.builder_names = frozenset(str(getattr(b, "name", b)) for b in cfg.builders)
        wanted: dict[str, BaseScheduler] = {}
        for scheduler in cfg.schedulers:
            if isinstance(scheduler, BaseScheduler):
                wanted[str(scheduler.name)] = scheduler
            else:
                log.warn(
                    "c['schedulers'] entry {s!r} is not a Marid scheduler; ignored", s=scheduler
                )
        for name, running in list(self._schedulers.items()):
            new = wanted.get(name)
            if new is None or not same_value(running, new):
                del self._schedulers[name]
                log.info("scheduler {name}: stopping ({why})", name=name, why=_why(new))
                await running.stop()
        for name, scheduler in wanted.items():
            if name in self._schedulers:
                continue
            self._schedulers[name] = scheduler
            try:
                await scheduler.start(self.context)
            except BaseException:
                del self._schedulers[name]
                await scheduler.stop()
                raise
            state = "active" if scheduler.active else "standing by: another master holds it"
            log.info("scheduler {name} started ({state})", name=name, state=state)

    def get(self, name: str) -> BaseScheduler | None:
        """The running scheduler called ``name``."""
        return self._schedulers.get(name)

    def schedulers(self) -> list[BaseScheduler]:
        return [self._schedulers[name] for name in sorted(self._schedulers)]

    def force_schedulers(self) -> list[ForceScheduler]:
        """The running force schedulers, by name (the order of the UI's buttons)."""
        return [s for s in self.schedulers() if isinstance(s, ForceScheduler)]

    async def stop_all(self) -> None:
        """Stop every scheduler, releasing their claims."""
        await self._lock.acquire()
        try:
            for name in sorted(self._schedulers):
                scheduler = self._schedulers.pop(name)
                try:
                    await scheduler.stop()
                except Exception:
                    log.failure("scheduler {name} did not stop cleanly", name=name)
        finally:
            self._lock.release()

    def stopService(self) -> defer.Deferred[None]:
        super().stopService()
        return defer.Deferred.fromCoroutine(self.stop_all())


def _why(new: Any) -> str:
    return "removed from the config" if new is None else "its configuration changed"
