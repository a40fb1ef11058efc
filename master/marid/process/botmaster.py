"""``BotMaster``: the builders of the running configuration and the builds they run.

The master creates one as ``master.botmaster``. It owns:

- the ``Builder`` objects, kept in step with ``c['builders']`` by
  ``reconfig`` (a changed builder gets the new config for its next builds;
  running builds finish with the config they started with);
- the master's ``LockRegistry`` (``locks``), configured with every lock the
  builders and their steps name;
- the ``Distributor``, kicked by MQ events (new and unclaimed requests,
  workers connecting or changing state) and by builds ending;
- the running ``Build`` objects (``builds``) and the controls on them (stop,
  rebuild, cancel: see ``buildcontrol``), and crash recovery on start;
- which builder runs a build on which worker (``is_building``);
- the ``OwedWrites`` (``owed_writes``) through which builds record their
  end while the database is unavailable; stopping gives them up.

Invariants: a build request is run only after this master claimed it in the
database, and every build this master starts ends in ``finish_build``, or,
if the master dies first, in ``recover_master`` (by this master on its next
start, or by another master that finds it expired). A worker runs at most
one build of a builder at a time: a build counts from ``build_started``
until ``build_done``, after its end is written to the database, so the
builder's next build on that worker starts only then (``max_builds`` slots
are freed earlier, see ``Build``). The index is by names and lives here, not
in the ``Builder``, so it holds across reconfigs that remove a builder or a
worker and add it back while an old build still runs.
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING, Any

from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger

from marid.mq.base import Consumer
from marid.process import buildcontrol
from marid.process.builder import Builder
from marid.process.distributor import Distributor
from marid.process.lockregistry import LockRegistry
from marid.process.locks import BaseLock, LockAccess, LockError
from marid.process.owedwrites import OwedWrites
from marid.process.results import CANCELLED, Results

if TYPE_CHECKING:
    from marid.config.master_config import MasterConfig
    from marid.data.connector import DataConnector
    from marid.master import BuildMaster
    from marid.process.build import Build
    from marid.workers.manager import WorkerManager

log = Logger()

KICK_EVENTS = (
    "buildrequests/*/new",
    "buildrequests/*/unclaimed",
    "workers/*/connected",
    "workers/*/state_updated",
)


def configured_locks(builders: list[Any]) -> list[BaseLock]:
    """Every lock named by the builders and their factories' steps, in config order."""
    found: list[BaseLock] = []
    for builder in builders:
        accesses = list(getattr(builder, "locks", []) or [])
        factory = getattr(builder, "factory", None)
        for step in getattr(factory, "steps", []) or []:
            accesses.extend(getattr(step, "locks", []) or [])
        for access in accesses:
            lock = access.lock if isinstance(access, LockAccess) else access
            if isinstance(lock, BaseLock) and lock not in found:
                found.append(lock)
    return found


class BotMaster(service.Service):
    name = "botmaster"

    @property
    def data(self) -> DataConnector:
        assert self.master.data is not None, "the botmaster runs only on a started master"
        return self.master.data

    @property
    def workers(self) -> WorkerManager:
        assert self.master.workers is not None, "the botmaster runs only on a started master"
        return self.master.workers

    @property
    def masterid(self) -> int:
        assert self.master.masterid is not None, "the botmaster runs only on a started master"
        return self.master.masterid

    def __init__(self, master: BuildMaster) -> None:
        self.master = master
        self.builders: dict[str, Builder] = {}
        self.locks = LockRegistry()
        self.distributor = Distributor(self, master.reactor)
        self.distributor.paused = True  # until start() has recovered earlier builds
        self.builds: set[Build] = set()
        self._building: Counter[tuple[str, str]] = Counter()  # (builder, worker) -> builds
        # The writes that end builds, retried while the database is unavailable.
        self.owed_writes = OwedWrites(master.reactor)
        self._consumers: list[Consumer] = []

    # -- lifecycle ------------------------------------------------------------------------

    def startService(self) -> None:
        super().startService()
        for pattern in KICK_EVENTS:
            self._consumers.append(
                self.master.mq.start_consuming(lambda key, msg: self.distributor.kick(), pattern)
            )

    async def start(self) -> None:
        """Recover this master's builds from an earlier run, then start distributing."""
        await buildcontrol.recover_master(self.data, self.masterid)
        self.distributor.paused = False
        self.distributor.kick()

    async def recover(self, masterid: int) -> None:
        """Finish the builds and free the requests of another master found dead."""
        await buildcontrol.recover_master(self.data, masterid)

    def stopService(self) -> defer.Deferred[None]:
        self.owed_writes.stop()  # a stop does not wait for the database to come back
        self.distributor.stop()
        for consumer in self._consumers:
            consumer.stop_consuming()
        self._consumers.clear()
        super().stopService()
        return defer.Deferred.fromCoroutine(self._stop_builds())

    async def _stop_builds(self) -> None:
        """A stop that is not clean: running builds end as RETRY and their requests go back."""
        running = list(self.master.running_builds)
        for build in list(self.builds):
            build.stop("the master is stopping", Results.RETRY)
        if running:
            await defer.DeferredList(running, consumeErrors=True)

    def pause(self) -> None:
        """Start no new builds (a clean shutdown is waiting for the running ones)."""
        self.distributor.stop()

    # -- configuration --------------------------------------------------------------------

    async def reconfig(self, cfg: MasterConfig) -> None:
        data = self.data
        wanted: dict[str, Any] = {}
        for config in cfg.builders:
            wanted[config.name] = config
        for name in list(self.builders):
            if name not in wanted:
                del self.builders[name]
        self._abandon_unserved(wanted)
        for name, config in wanted.items():
            current = self.builders.get(name)
            if current is None:
                builderid = await data.builders.find_builder_id(name)
                self.builders[name] = Builder(self, name, builderid, config)
            else:
                current.config = config
        try:
            self.locks.configure(configured_locks(list(cfg.builders)))
        except LockError as error:
            log.error("locks: {error}", error=str(error))
        self.distributor.kick()

    def _abandon_unserved(self, wanted: dict[str, Any]) -> None:
        """Stop the builds whose worker no longer serves their builder, or not in that directory.

        The worker is told its new builder list and kills such a build's
        command without a word (``buildbot-worker`` too), so waiting would
        hold the build, and the worker's slot, forever.
        """
        for build in list(self.builds):
            config = wanted.get(build.builder_name)
            if config is None:
                why = f"builder {build.builder_name!r} was removed from the configuration"
            elif build.worker_name not in config.workernames:
                why = f"worker {build.worker_name!r} no longer serves {build.builder_name!r}"
            elif config.workerbuilddir != build.workerbuilddir:
                why = (
                    f"builder {build.builder_name!r} moved to directory"
                    f" {config.workerbuilddir!r} on the worker"
                )
            else:
                continue
            log.info("build {id}: {why}; stopping it", id=build.buildid, why=why)
            build.abandon(why)

    # -- builds -----------------------------------------------------------------------------

    def build_started(self, build: Build) -> None:
        self.builds.add(build)
        self._building[(build.builder_name, build.worker_name)] += 1

    def build_done(self, build: Build) -> None:
        """``build`` has ended and its end is stored: its builder may use the worker again."""
        if build in self.builds:
            self.builds.discard(build)
            key = (build.builder_name, build.worker_name)
            self._building[key] -= 1
            if self._building[key] <= 0:
                del self._building[key]
        self.distributor.kick()

    def is_building(self, builder_name: str, worker_name: str) -> bool:
        """Whether a build of ``builder_name`` still runs (or is finishing) on ``worker_name``."""
        return (builder_name, worker_name) in self._building

    def get_build(self, buildid: int) -> Build | None:
        for build in self.builds:
            if build.buildid == buildid:
                return build
        return None

    def find_build_for_request(self, brid: int) -> Build | None:
        for build in self.builds:
            if build.request.id == brid:
                return build
        return None

    async def stop_build(self, buildid: int, reason: str, results: int = CANCELLED) -> bool:
        """Stop a running build of this master; False if it runs elsewhere or has ended."""
        build = self.get_build(buildid)
        if build is None:
            return False
        build.stop(reason, Results(results))
        return True

    async def rebuild(self, buildid: int, reason: str | None = None) -> tuple[int, dict[int, int]]:
        return await buildcontrol.rebuild(self.data, buildid, reason)

    async def cancel_request(self, brid: int, reason: str) -> None:
        await buildcontrol.cancel_request(self, brid, reason)
