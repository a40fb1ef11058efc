"""``BuildMaster``: loads the configuration, owns the services and applies reconfigs.

Start-up order: load and validate ``master.cfg`` (any error stops the start
with every message), open the database and refuse an old or newer schema,
register this master and its builders through the data API, open the worker
port and the web listener, configure the workers (``master.workers``), then
beat every ``HEARTBEAT_SECONDS`` so other masters know this one is alive.
``master.cfg`` is evaluated in a thread of its own within a time limit, at
start-up as at each reconfig (``marid.config.evaluator``); the result is
applied on the reactor thread.

Log lines that the ``marid`` command watches for are constants here:
``STARTED``, ``START_FAILED``, ``RECONFIG_BEGIN`` then ``RECONFIG_APPLIED`` or
``RECONFIG_FAILED``, or ``RECONFIG_REFUSED`` alone when a reconfig still runs.
"""

from __future__ import annotations

import os
import socket
from typing import Any

import sqlalchemy as sa
from twisted.application import service
from twisted.internet import defer, task
from twisted.logger import Logger

from marid.config.diff import changed_keys, changed_sections, restart_required
from marid.config.errors import ConfigErrors
from marid.config.evaluator import DEFAULT_TIME_LIMIT, ConfigEvaluator
from marid.config.master_config import MasterConfig
from marid.data.connector import DataConnector
from marid.db.connector import DBConnector
from marid.db.engine import connection_problem
from marid.db.errors import DatabaseError
from marid.db.query import Query
from marid.mq.simple import SimpleMQ
from marid.process.botmaster import BotMaster
from marid.schedulers.manager import SchedulerManager
from marid.workers.errors import BuilderListNotApplied
from marid.workers.manager import WorkerManager
from marid.www.service import WWWService

log = Logger()

HEARTBEAT_SECONDS = 60

STARTED = "master started"
START_FAILED = "master failed to start"
RECONFIG_APPLIED = "reconfig applied"
RECONFIG_FAILED = "reconfig failed"
# A reconfig that did not begin because another one (or its overrun evaluation) still runs.
RECONFIG_REFUSED = "reconfig refused"
RECONFIG_BEGIN = "reconfig begins"


class StartError(Exception):
    """The master cannot start; the message says why in one line per problem."""


class BuildMaster(service.MultiService):
    def __init__(
        self,
        basedir: str,
        reactor: Any,
        *,
        config_file: str = "master.cfg",
        config_timeout: float | None = DEFAULT_TIME_LIMIT,
    ):
        super().__init__()
        self.basedir = os.path.abspath(basedir)
        self.config_path = os.path.join(self.basedir, config_file)
        self.reactor = reactor
        self.master_name = f"{socket.gethostname()}:{self.basedir}"
        self.config: MasterConfig | None = None
        # master.cfg runs in a thread of its own, within config_timeout seconds (None: no limit).
        self.config_evaluator = ConfigEvaluator(
            self.config_path, reactor, time_limit=config_timeout
        )
        self.masterid: int | None = None
        self.db: DBConnector | None = None
        self.mq = SimpleMQ()
        self.data: DataConnector | None = None
        self.www: WWWService | None = None
        self.workers: WorkerManager | None = None
        self.scheduler_manager: SchedulerManager | None = None
        self.botmaster: BotMaster | None = None
        self._heartbeat: task.LoopingCall | None = None
        self._reconfiguring = False
        self._stopping = False
        # Deferreds of running builds; a clean shutdown waits for all of them.
        self.running_builds: set[defer.Deferred[Any]] = set()

    # -- start and stop -------------------------------------------------------

    async def start_master(self) -> None:
        """Bring the master up; raise ``StartError`` with the reason if it cannot."""
        try:
            cfg = await self.config_evaluator.evaluate()
        except ConfigErrors as errors:
            raise StartError("\n".join(str(e) for e in errors.errors)) from None
        try:
            self.db = DBConnector(
                cfg.db_url, self.reactor, basedir=self.basedir, timeout=cfg.db_timeout
            )
            self.db.start()
            await self.db.check_schema()
        except (DatabaseError, sa.exc.SQLAlchemyError) as error:
            if self.db is not None:
                self.db.stop()
                self.db = None
            if isinstance(error, DatabaseError):
                raise StartError(str(error)) from None
            raise StartError(connection_problem(cfg.db_url, error)) from None
        self.data = DataConnector(self.db, self.mq, self.reactor.seconds)
        self.data.master = self
        self.masterid = await self.data.masters.find_master_id(self.master_name)
        await self.data.masters.master_active(self.master_name, self.masterid)
        self.workers = WorkerManager(self.reactor, self.data, self.masterid, basedir=self.basedir)
        self.workers.setServiceParent(self)
        self.www = WWWService(self.reactor, self.data)
        self.www.setServiceParent(self)
        self.scheduler_manager = SchedulerManager(self.reactor, self.data, self.masterid)
        self.scheduler_manager.setServiceParent(self)
        self.botmaster = BotMaster(self)
        self.botmaster.setServiceParent(self)
        try:
            await self.apply_config(cfg, initial=True)
            await self.botmaster.start()
        except Exception as error:
            await self.stop_master()
            raise StartError(f"cannot apply the configuration: {error}") from None
        self._heartbeat = task.LoopingCall(self._beat)
        self._heartbeat.clock = self.reactor
        self._heartbeat.start(HEARTBEAT_SECONDS, now=False)
        log.info(
            STARTED + ": {name} (masterid {masterid})",
            name=self.master_name,
            masterid=self.masterid,
        )

    async def _beat_async(self) -> None:
        assert self.data is not None and self.masterid is not None
        await self.data.masters.master_active(self.master_name, self.masterid)
        for masterid in await self.data.masters.expire_masters():
            if self.botmaster is not None:
                await self.botmaster.recover(masterid)

    def _beat(self) -> defer.Deferred[None]:
        d = defer.Deferred.fromCoroutine(self._beat_async())
        d.addErrback(lambda f: log.failure("master heartbeat failed", f))
        return d

    async def clean_shutdown(self) -> None:
        """Wait for the running builds to finish; new builds are not started meanwhile."""
        if self.botmaster is not None:
            self.botmaster.pause()
        while self.running_builds:
            log.info("clean shutdown: waiting for {n} running builds", n=len(self.running_builds))
            await defer.DeferredList(list(self.running_builds), consumeErrors=True)

    async def stop_master(self) -> None:
        self._stopping = True
        if self._heartbeat is not None and self._heartbeat.running:
            self._heartbeat.stop()
        if self.running:
            await defer.maybeDeferred(self.stopService)
        else:
            for child in (self.botmaster, self.scheduler_manager, self.www, self.workers):
                if child is not None:
                    await defer.maybeDeferred(child.stopService)
        if self.data is not None and self.masterid is not None:
            try:
                await self.data.masters.master_stopped(self.master_name, self.masterid)
            except Exception:
                log.failure("could not mark the master stopped in the database")
        if self.db is not None:
            self.db.stop()
            self.db = None
        log.info("master stopped")

    # -- configuration -------------------------------------------------------

    async def apply_config(self, cfg: MasterConfig, *, initial: bool = False) -> set[str]:
        """Reconfigure each service whose section changed; return the changed sections."""
        old = self.config
        sections = changed_sections(old, cfg) if old is not None else {"*"}
        assert self.www is not None and self.data is not None and self.masterid is not None
        assert self.workers is not None
        if initial or sections & {"protocols", "*"}:
            await self.workers.reconfig_listener(cfg.pb_port)
        if initial or sections & {"www", "title", "*"}:
            await self.www.reconfig(cfg)
        if initial or sections & {"builders", "*"}:
            names = [str(getattr(b, "name", b)) for b in cfg.builders]
            ids = await self.data.builders.update_builder_list(self.masterid, names)
            await self._update_builder_info(cfg.builders, ids)
        not_applied: BuilderListNotApplied | None = None
        if initial or sections & {"workers", "builders", "*"}:
            try:
                await self.workers.reconfig_workers(cfg.workers, cfg.builders)
            except BuilderListNotApplied as error:
                not_applied = error  # the rest still applies; the reconfig then fails with it
        if initial or sections & {"schedulers", "builders", "validation", "*"}:
            assert self.scheduler_manager is not None
            await self.scheduler_manager.reconfig(cfg)
        self.config = cfg
        if self.botmaster is not None and (initial or sections & {"builders", "*"}):
            await self.botmaster.reconfig(cfg)
        if not_applied is not None:
            raise not_applied
        return sections

    async def _update_builder_info(self, builders: list[Any], ids: dict[str, int]) -> None:
        """Store each builder's description and tags where they differ from the database's."""
        assert self.data is not None and self.db is not None
        stored, _ = await self.db.builders.get_builders(Query())
        current = {
            b.builderid: (b.description, b.description_format, sorted(b.tags)) for b in stored
        }
        for builder in builders:
            builderid = ids.get(str(getattr(builder, "name", builder)))
            if builderid is None:
                continue
            wanted = (
                getattr(builder, "description", None),
                getattr(builder, "description_format", None),
                sorted(getattr(builder, "tags", None) or []),
            )
            if current.get(builderid) != wanted:
                await self.data.builders.update_builder_info(
                    builderid, description=wanted[0], description_format=wanted[1], tags=wanted[2]
                )

    async def reconfig(self) -> bool:
        """Load ``master.cfg`` again; apply it if it is valid, else keep the running config."""
        refusal = self.config_evaluator.busy_reason()
        if refusal is None and self._reconfiguring:
            refusal = "the previous reconfig is still being applied"
        if refusal is not None:
            log.warn(
                RECONFIG_REFUSED + ": {reason}; the running configuration is unchanged",
                reason=refusal,
            )
            return False
        self._reconfiguring = True
        try:
            log.info(RECONFIG_BEGIN)
            try:
                cfg = await self.config_evaluator.evaluate()
            except ConfigErrors as errors:
                for error in errors.errors:
                    log.error("config error: {error}", error=str(error))
                log.error(
                    RECONFIG_FAILED + ": {n} error(s); the running configuration is unchanged",
                    n=len(errors.errors),
                )
                return False
            if self._stopping:  # the master stopped while the file was being evaluated
                log.warn(RECONFIG_FAILED + ": the master is stopping")
                return False
            old = self.config
            assert old is not None
            for item in restart_required(old, cfg):
                log.warn("config change needs a restart to take effect: {item}", item=item)
            try:
                await self.apply_config(cfg)
            except Exception as error:
                if not isinstance(error, BuilderListNotApplied):  # its message says it all
                    log.failure("reconfig could not be applied")
                log.error(RECONFIG_FAILED + ": {error}", error=error)
                return False
            applied = ", ".join(changed_keys(old, cfg)) or "nothing changed"
            log.info(RECONFIG_APPLIED + ": {applied}", applied=applied)
            return True
        finally:
            self._reconfiguring = False

    def reconfig_from_signal(self) -> None:
        d = defer.Deferred.fromCoroutine(self.reconfig())
        d.addErrback(lambda f: log.failure(RECONFIG_FAILED, f))
