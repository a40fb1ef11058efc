"""``Distributor``: matches pending build requests with free workers, claiming through the DB.

``kick()`` asks for a pass; kicks coalesce (one pass at a time, and a kick
during a pass makes another pass follow at once), and a pass runs on the next
reactor turn, never after a fixed delay. Kicks come from new and unclaimed
requests and worker changes (MQ events), builds ending, locks released and
reconfigs.

A pass: if no builder has a free worker, stop without a query. Otherwise
read the unclaimed requests of this master's builders (``load_requests``,
three queries), order the builders with ``c['prioritizeBuilders']`` (default:
oldest request first), and for each builder, while it has requests and free
workers: choose a request and a worker, find the requests that collapse with
it, claim them all in one statement, complete the collapsed ones as SKIPPED
and start the build on the newest. Another master winning a claim
(``AlreadyClaimedError``) is normal: those requests are dropped from this
pass and the pass is repeated.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from marid.db.buildrequests import AlreadyClaimedError
from marid.process.buildrequest import BuildRequest, load_requests
from marid.process.collapse import collapsible
from marid.process.renderables import call_and_await
from marid.process.results import SKIPPED

if TYPE_CHECKING:
    from marid.process.botmaster import BotMaster
    from marid.process.builder import Builder

log = Logger()


class Distributor:
    def __init__(self, botmaster: BotMaster, clock: IReactorTime) -> None:
        self.botmaster = botmaster
        self.clock = clock
        self.paused = False
        self._call: IDelayedCall | None = None
        self._pass: defer.Deferred[None] | None = None
        self._again = False
        self.passes = 0

    def kick(self) -> None:
        """Look for work soon (on the next reactor turn, or right after the running pass)."""
        if self._pass is not None:
            self._again = True
        elif self._call is None:
            self._call = self.clock.callLater(0, self._start)

    def stop(self) -> None:
        self.paused = True
        if self._call is not None and self._call.active():
            self._call.cancel()
        self._call = None

    async def idle(self) -> None:
        """Wait until no pass is running or scheduled (for tests and shutdown)."""
        while self._pass is not None or self._call is not None:
            if self._pass is not None:
                await self._pass
            else:
                d: defer.Deferred[None] = defer.Deferred()
                self.clock.callLater(0, d.callback, None)
                await d

    def _start(self) -> None:
        self._call = None
        if self.paused:
            return
        d = defer.Deferred.fromCoroutine(self._run())
        if not d.called:  # a pass that finished synchronously has already cleaned up
            self._pass = d

    async def _run(self) -> None:
        try:
            while not self.paused:
                self._again = False
                self.passes += 1
                await self._distribute()
                if not self._again:
                    break
        except Exception:
            log.failure("the build request distributor failed")
        finally:
            self._pass = None

    async def _distribute(self) -> None:
        builders = [b for b in self.botmaster.builders.values() if b.available_workers()]
        if not builders:
            return
        names = {b.builderid: b.name for b in builders}
        pool = self.botmaster.data.db.pool
        requests: list[BuildRequest] = await pool.run(load_requests, names)
        by_builder: dict[int, list[BuildRequest]] = defaultdict(list)
        for request in requests:
            by_builder[request.builderid].append(request)
        waiting = [b for b in builders if by_builder.get(b.builderid)]
        for builder in waiting:
            pending = by_builder[builder.builderid]
            builder.oldest_request_time = min(r.submittedAt for r in pending)
        for builder in await self._prioritized(waiting):
            await self._fill(builder, by_builder[builder.builderid])

    async def _prioritized(self, builders: list[Builder]) -> list[Builder]:
        builders.sort(key=lambda b: (b.oldest_request_time or 0, b.name))
        cfg = self.botmaster.master.config
        hook = cfg.prioritize_builders if cfg is not None else None
        if hook is None or len(builders) < 2:
            return builders
        try:
            ordered = await call_and_await(hook, self.botmaster.master, list(builders))
            return [b for b in ordered if b in builders]
        except Exception:
            log.failure("prioritizeBuilders failed; using the default order")
            return builders

    async def _fill(self, builder: Builder, pending: list[BuildRequest]) -> None:
        data = self.botmaster.data
        masterid = self.botmaster.masterid
        while pending and not self.paused:
            workers = builder.available_workers()
            if not workers:
                return
            request = await builder.choose_request(pending)
            if request is None:
                return
            worker = await builder.choose_worker(workers, request)
            if worker is None:
                pending.remove(request)
                continue
            merged = await collapsible(builder, request, pending)
            group = sorted([request, *merged], key=lambda r: r.id)
            run, skipped = group[-1], group[:-1]
            try:
                await data.buildrequests.claim_build_requests([r.id for r in group], masterid)
            except AlreadyClaimedError:
                for item in group:
                    pending.remove(item)
                self._again = True
                continue
            for item in group:
                pending.remove(item)
            if skipped:
                await data.buildrequests.complete_build_requests([r.id for r in skipped], SKIPPED)
            if builder.start_build(run, worker.name) is None:
                await data.buildrequests.unclaim_build_requests([run.id])

    def describe(self) -> dict[str, Any]:
        return {"passes": self.passes, "running": self._pass is not None}
