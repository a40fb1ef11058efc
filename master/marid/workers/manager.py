"""``WorkerManager``: the master's workers, its worker port, and the worker controls.

The master creates one and keeps it as ``master.workers``. It owns:

- the registry of configured workers (``WorkerRecord`` per name), which a
  reconfig adds to, removes from (closing the connection and dropping the
  database rows) or changes (password, properties, max_builds, keepalive)
  without a restart; builder lists that changed are sent again, and a
  reconfig waits for the connected workers' answers: ``BuilderListNotApplied``
  (after everything else is applied) when any refused its new list;
- the PB listener on ``c['protocols']['pb']['port']`` and the in-process
  runners of ``LocalWorker`` entries;
- the controls behind ``POST /api/v2/workers/N``: ``pause``, ``unpause``,
  ``stop`` (graceful: shut the worker down once it runs no build) and ``kill``;
- the API builds use: ``get_connection``, ``wait_for_connection``,
  ``can_start_build``, ``build_started``/``build_finished`` (the running-build
  count that graceful stops and ``max_builds`` depend on), ``worker_properties``.

Logins, attach sequences, disconnects and missing timers are ``Sessions``'s job.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterable
from typing import Any

from twisted.application import service
from twisted.internet import defer
from twisted.logger import Logger

from marid.data.errors import ConflictError, InvalidControlError
from marid.workers.config import AbstractWorker, LocalWorker
from marid.workers.connection import Connection
from marid.workers.errors import BuilderListNotApplied, UnknownWorker, WorkerNotConnected
from marid.workers.local import BotFactory, LocalWorkerRunner, default_bot
from marid.workers.protocol.listener import PBListener
from marid.workers.protocol.pb import make_server_factory
from marid.workers.sessions import Sessions
from marid.workers.state import WorkerRecord, WorkerStore, builder_lists

log = Logger()

ACTIONS = ("stop", "kill", "pause", "unpause")


class WorkerManager(service.Service):
    """Configured workers, their connections and their controls."""

    name = "workers"

    def __init__(
        self,
        reactor: Any,
        store: WorkerStore,
        masterid: int,
        *,
        basedir: str,
        make_bot: BotFactory = default_bot,
    ) -> None:
        self.reactor = reactor
        self._store = store
        self.masterid = masterid
        self.basedir = basedir
        self._make_bot = make_bot
        self._records: dict[str, WorkerRecord] = {}
        self._locals: dict[str, LocalWorkerRunner] = {}
        self._builderids: dict[str, int] = {}
        # Local workers prove themselves with this; it never leaves the process.
        self._local_secret = secrets.token_hex(32).encode("ascii")
        self.sessions = Sessions(reactor, store, masterid, self._records, self._local_secret)
        self.factory = make_server_factory(self.sessions, reactor)
        self.listener = PBListener(reactor, self.factory)
        store.workers.controller = self

    # -- configuration ---------------------------------------------------------------

    async def reconfig_listener(self, pb_port: str | None) -> None:
        """Listen on ``pb_port``; raise (keeping the old listener) if it cannot be opened."""
        await self.listener.listen(pb_port)

    async def reconfig_workers(self, workers: Iterable[Any], builders: Iterable[Any]) -> None:
        """Make the registry match ``c['workers']`` and the builders that name them."""
        configs: dict[str, AbstractWorker] = {}
        for worker in workers:
            if isinstance(worker, AbstractWorker):
                configs[str(worker.name)] = worker
            else:
                log.warn("c['workers'] entry {w!r} is not a worker class; ignored", w=worker)
        lists = builder_lists(builders)
        for record in list(self._records.values()):
            new = configs.get(record.name)
            if new is None or not _same_kind(record.config, new):
                await self._remove(record)
        resend: list[WorkerRecord] = []
        added: list[WorkerRecord] = []
        for name, config in configs.items():
            existing = self._records.get(name)
            if existing is None:
                record = self._records[name] = WorkerRecord(name, config)
                added.append(record)
            else:
                record = existing
                self._update(record, config)
            wanted = lists.get(name, [])
            if record.builders != wanted:
                record.builders = wanted
                resend.append(record)
        for record in added:
            await self._load(record)
        keep = []
        for record in list(self._records.values()):
            builderids = sorted({await self._builderid(name) for name, _ in record.builders})
            workerid = await self.sessions.workerid(record)
            if builderids != record.builderids:
                await self._store.workers.worker_configured(workerid, self.masterid, builderids)
                record.builderids = builderids
            keep.append(workerid)
        await self._store.workers.deconfigure_all_except(self.masterid, keep)
        sends = [
            defer.Deferred.fromCoroutine(self.sessions.resend_builder_list(record, conn))
            for record in resend
            if (conn := record.attached) is not None
        ]
        for record in added:
            if isinstance(record.config, LocalWorker):
                self._start_local(record.name, record.config)
        refused = [reason for reason in await defer.gatherResults(sends) if reason is not None]
        if refused:
            raise BuilderListNotApplied(
                "the new builder list could not be applied to "
                f"{len(refused)} connected worker(s): " + "; ".join(refused)
            )

    async def _load(self, record: WorkerRecord) -> None:
        workerid = await self.sessions.workerid(record)
        (
            record.paused,
            record.pause_reason,
            record.graceful,
        ) = await self._store.workers.worker_flags(workerid)

    async def _builderid(self, name: str) -> int:
        if name not in self._builderids:
            self._builderids[name] = await self._store.builders.find_builder_id(name)
        return self._builderids[name]

    def _update(self, record: WorkerRecord, config: AbstractWorker) -> None:
        record.config = config
        conn = record.attached
        if conn is not None:
            conn.start_keepalive(config.keepalive_seconds)

    async def _remove(self, record: WorkerRecord) -> None:
        log.info("worker {name} is no longer configured", name=record.name)
        record.removed = True
        self._records.pop(record.name, None)
        record.cancel_missing_timer()
        self._fail_waiters(record)
        runner = self._locals.pop(record.name, None)
        if runner is not None:
            await runner.stop()
        if record.connection is not None:
            record.connection.lose_connection()

    def _start_local(self, name: str, config: LocalWorker) -> None:
        workdir = config.workdir or os.path.join(self.basedir, "workers", name)
        runner = LocalWorkerRunner(
            self.reactor,
            self.factory,
            name=name,
            secret=self._local_secret,
            basedir=workdir,
            make_bot=self._make_bot,
        )
        self._locals[name] = runner
        runner.start()

    @staticmethod
    def _fail_waiters(record: WorkerRecord) -> None:
        waiters, record.waiters = record.waiters, []
        for waiter in waiters:
            waiter.errback(WorkerNotConnected(f"worker {record.name!r} is no longer configured"))

    # -- what builds use ---------------------------------------------------------------

    def worker_config(self, name: str) -> AbstractWorker | None:
        record = self._records.get(name)
        return record.config if record is not None else None

    def workerid(self, name: str) -> int | None:
        record = self._records.get(name)
        return record.workerid if record is not None else None

    def get_connection(self, name: str) -> Connection | None:
        """The attached connection of worker ``name``, or None."""
        record = self._records.get(name)
        return record.attached if record is not None else None

    def connected_names(self) -> list[str]:
        return sorted(name for name, r in self._records.items() if r.attached is not None)

    async def wait_for_connection(
        self,
        name: str,
        timeout: float | None = None,  # noqa: ASYNC109 - Twisted code times out with addTimeout
    ) -> Connection:
        """The connection of ``name`` once it is attached; ``WorkerNotConnected`` on timeout."""
        record = self._record(name)
        conn = record.attached
        if conn is not None:
            return conn
        waiter: defer.Deferred[Connection] = defer.Deferred()
        record.waiters.append(waiter)
        if timeout is not None:
            waiter.addTimeout(timeout, self.reactor)
        try:
            return await waiter
        except defer.TimeoutError:
            raise WorkerNotConnected(
                f"worker {name!r} did not attach within {timeout:g} s"
            ) from None
        finally:
            if waiter in record.waiters:
                record.waiters.remove(waiter)

    def worker_properties(self, name: str) -> dict[str, Any]:
        """The worker's ``defaultProperties`` overridden by its ``properties``."""
        return self._record(name).config.all_properties

    def can_start_build(self, name: str) -> bool:
        """Attached, not paused, not stopping, and below ``max_builds``."""
        record = self._records.get(name)
        if record is None or record.attached is None or record.paused or record.graceful:
            return False
        limit = record.max_builds
        return limit is None or record.running_builds < limit

    def running_builds(self, name: str) -> int:
        record = self._records.get(name)
        return record.running_builds if record is not None else 0

    def build_started(self, name: str) -> None:
        self._record(name).running_builds += 1

    def build_finished(self, name: str) -> None:
        """A build on ``name`` ended; a pending graceful stop may now shut the worker down."""
        record = self._records.get(name)
        if record is None or record.running_builds == 0:
            return
        record.running_builds -= 1
        if record.running_builds == 0 and record.graceful:
            self.sessions.track(self.sessions.maybe_shutdown(record), f"{name} graceful shutdown")

    def _record(self, name: str) -> WorkerRecord:
        try:
            return self._records[name]
        except KeyError:
            raise UnknownWorker(f"no worker named {name!r} is configured") from None

    # -- controls (data API / JSON-RPC) ---------------------------------------------------

    async def control_worker(self, name: str, action: str, reason: str | None) -> None:
        """Apply a control action; the data API routes ``POST /api/v2/workers/N`` here."""
        if action not in ACTIONS:
            raise InvalidControlError(f"unknown worker action {action!r}")
        record = self._records.get(name)
        if record is None:
            raise ConflictError(f"worker {name!r} is not configured on this master")
        log.info(
            "worker {name}: {action} ({reason})", name=name, action=action, reason=reason or "-"
        )
        if action == "kill":
            if record.connection is None:
                raise ConflictError(f"worker {name!r} is not connected to this master")
            record.connection.lose_connection()
        elif action == "stop":
            await self.sessions.stop_gracefully(record)
        else:
            record.paused = action == "pause"
            record.pause_reason = reason if record.paused else None
            await self.sessions.store_flags(record)

    async def pause(self, name: str, reason: str | None = None) -> None:
        await self.control_worker(name, "pause", reason)

    async def unpause(self, name: str) -> None:
        await self.control_worker(name, "unpause", None)

    async def stop_gracefully(self, name: str, reason: str | None = None) -> None:
        await self.control_worker(name, "stop", reason)

    async def kill(self, name: str, reason: str | None = None) -> None:
        await self.control_worker(name, "kill", reason)

    # -- service ------------------------------------------------------------------------

    def stopService(self) -> defer.Deferred[None]:
        super().stopService()
        return defer.Deferred.fromCoroutine(self._stop())

    async def _stop(self) -> None:
        self.sessions.stopping = True
        if self._store.workers.controller is self:
            self._store.workers.controller = None
        await self.listener.stop()
        self.factory.idle_closes.stop()
        for runner in list(self._locals.values()):
            await runner.stop()
        self._locals.clear()
        closing: list[defer.Deferred[None]] = []
        for record in self._records.values():
            record.cancel_missing_timer()
            self._fail_waiters(record)
            conn = record.connection
            if conn is not None:
                closing.append(_closed(conn))
                conn.lose_connection()
        if closing:
            await defer.DeferredList(closing)
        await self.sessions.drain()


def _closed(conn: Connection) -> defer.Deferred[None]:
    """A Deferred that fires when ``conn`` is lost."""
    closed: defer.Deferred[None] = defer.Deferred()
    conn.notify_on_disconnect(lambda: closed.callback(None))
    return closed


def _same_kind(old: AbstractWorker, new: AbstractWorker) -> bool:
    """Whether ``new`` can replace ``old`` in place (else the worker is removed and re-added)."""
    if type(old) is not type(new):
        return False
    if isinstance(old, LocalWorker) and isinstance(new, LocalWorker):
        return bool(old.workdir == new.workdir)
    return True
