"""``Builder``: one configured builder at run time: its workers, its running builds, its hooks.

The distributor asks a builder which of its workers can take a build now
(attached with this builder, not paused or stopping, below ``max_builds``,
not already running a build of this builder, ``canStartBuild`` agreeing,
build locks free), which pending request to run
next (``nextBuild``, else priority then age) and on which worker
(``nextWorker``, else the least busy). ``start_build`` counts the worker slot
at once, runs the ``Build`` in the background and registers it with the
botmaster (which builder runs on which worker) and the master (so a clean
shutdown waits for it); ``build_ended`` frees the ``max_builds`` slot and
kicks the distributor, and the worker takes the builder's next build once
the botmaster has forgotten the build (its end stored).

A worker runs at most one build of a builder at a time, as in Buildbot:
both ``marid-worker`` and ``buildbot-worker`` keep one command per builder,
in one directory, and a second build would run in the first one's
directory (``buildbot-worker`` kills the first build's command,
``marid-worker`` refuses the second's).

For ``c['prioritizeBuilders']`` a builder has Buildbot's ``name``,
``getOldestRequestTime()`` and ``getNewestCompleteTime()`` (awaitable).

User hooks get Buildbot's shapes: ``nextWorker(builder, workers, request)``
with objects that have ``worker.workername``; ``nextBuild(builder,
requests)``; ``canStartBuild(builder, worker, request)``. Each may return a
value or a Deferred/coroutine; a hook that raises counts as "no" (and is
logged), so a broken hook never stops the master.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.logger import Logger

from marid.db.query import Filter, Query
from marid.process.build import Build
from marid.process.locks import LockError
from marid.process.renderables import call_and_await

if TYPE_CHECKING:
    from marid.process.botmaster import BotMaster
    from marid.process.builder_config import BuilderConfig
    from marid.process.buildrequest import BuildRequest

log = Logger()


@dataclass
class WorkerChoice:
    """A worker offered to ``nextWorker``/``canStartBuild`` (Buildbot's WorkerForBuilder)."""

    name: str
    running_builds: int
    properties: dict[str, Any] = field(default_factory=dict)

    @property
    def workername(self) -> str:
        return self.name

    @property
    def worker(self) -> WorkerChoice:
        return self


class Builder:
    """A builder of the running configuration."""

    def __init__(
        self, botmaster: BotMaster, name: str, builderid: int, config: BuilderConfig
    ) -> None:
        self.botmaster = botmaster
        self.master = botmaster.master
        self.name = name
        self.builderid = builderid
        self.config = config
        self.building: list[Build] = []
        self.oldest_request_time: int | None = None

    # -- Buildbot's names, for prioritizeBuilders functions -----------------------------

    async def getOldestRequestTime(self) -> int | None:
        return self.oldest_request_time

    async def getNewestCompleteTime(self) -> int | None:
        """When this builder's most recent build finished (epoch seconds), or None."""
        query = Query(
            filters=[
                Filter("builderid", "eq", (self.builderid,)),
                Filter("complete", "eq", (True,)),
            ],
            order=["-complete_at"],
            limit=1,
        )
        builds, _ = await self.botmaster.data.db.builds.get_builds(query)
        return builds[0].complete_at if builds else None

    # -- choosing ---------------------------------------------------------------------

    def available_workers(self) -> list[WorkerChoice]:
        """Workers that could start a build of this builder right now (before hooks and locks)."""
        workers = self.master.workers
        if workers is None:
            return []
        found = []
        for name in self.config.workernames:
            if not workers.can_start_build(name) or self.botmaster.is_building(self.name, name):
                continue
            conn = workers.get_connection(name)
            if conn is None or self.name not in conn.builders:
                continue
            found.append(
                WorkerChoice(name, workers.running_builds(name), workers.worker_properties(name))
            )
        return found

    async def choose_request(self, requests: list[BuildRequest]) -> BuildRequest | None:
        if self.config.nextBuild is None:
            return min(requests, key=lambda r: (-r.priority, r.submittedAt, r.id))
        chosen = await self._hook("nextBuild", self.config.nextBuild, self, list(requests))
        return chosen if chosen in requests else None

    async def choose_worker(
        self, candidates: list[WorkerChoice], request: BuildRequest
    ) -> WorkerChoice | None:
        usable = []
        for choice in candidates:
            if not self._locks_free(choice.name):
                continue
            hook = self.config.canStartBuild
            if hook is not None and not await self._hook(
                "canStartBuild", hook, self, choice, request
            ):
                continue
            usable.append(choice)
        if not usable:
            return None
        if self.config.nextWorker is not None:
            chosen = await self._hook("nextWorker", self.config.nextWorker, self, usable, request)
            return chosen if chosen in usable else None
        fewest = min(choice.running_builds for choice in usable)
        return random.choice([c for c in usable if c.running_builds == fewest])

    def _locks_free(self, worker_name: str) -> bool:
        if not self.config.locks:
            return True
        try:
            return self.botmaster.locks.is_available(self.config.locks, worker_name)
        except LockError:
            return True  # the build reports the misuse when it tries to take them

    async def _hook(self, label: str, hook: Any, *args: Any) -> Any:
        try:
            return await call_and_await(hook, *args)
        except Exception:
            log.failure("{label} of builder {name} failed", label=label, name=self.name)
            return None

    # -- running ------------------------------------------------------------------------

    def start_build(self, request: BuildRequest, worker_name: str) -> Build | None:
        """Start a build of the claimed ``request`` on ``worker_name``; None if it went away."""
        workers = self.master.workers
        conn = workers.get_connection(worker_name) if workers is not None else None
        if conn is None or workers is None:
            return None
        if self.botmaster.is_building(self.name, worker_name):
            log.error(
                "not starting request {brid}: worker {worker} still runs a build of {builder}",
                brid=request.id,
                worker=worker_name,
                builder=self.name,
            )
            return None
        build = Build(self.master, self, request, worker_name, conn)
        self.building.append(build)
        workers.build_started(worker_name)
        self.botmaster.build_started(build)
        d = defer.Deferred.fromCoroutine(build.run())
        self.master.running_builds.add(d)
        d.addBoth(lambda _: self._forget(build, d))
        return build

    def _forget(self, build: Build, d: defer.Deferred[Any]) -> None:
        self.master.running_builds.discard(d)
        self.botmaster.build_done(build)

    def build_ended(self, build: Build) -> None:
        """The build's steps are over: free its worker slot and look for more work."""
        if build in self.building:
            self.building.remove(build)
        workers = self.master.workers
        if workers is not None:
            workers.build_finished(build.worker_name)
        self.botmaster.distributor.kick()
