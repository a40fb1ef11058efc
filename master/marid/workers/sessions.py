"""Worker sessions: a login becomes an attached worker, a lost connection a missing one.

``Sessions`` is the ``LoginHandler`` the PB layer asks about every login:

- ``password_for(name)`` reads the *current* configuration, so a reconfigured
  password applies to the next login without a restart;
- ``logged_in(name, bot)`` settles duplicates as ``worker-protocol.md`` says
  (ask the old connection to ``print`` within 10 s: if it answers, the new
  login is rejected; if not, the old connection is dropped) and then runs the
  attach sequence in the background: ``print("attached")``, ``getWorkerInfo``,
  ``setBuilderList`` (and one ``print("attached")`` per newly attached
  builder), then ``data.workers.worker_connected``;
- a lost connection is written with ``worker_disconnected`` and starts the
  missing timer; ``missing_timeout`` seconds later, unless the worker came
  back, ONE ``workers/N/missing`` event is published for that loss.

Invariants: a record's database writes go through its ``store_lock`` in the
order their causes happened, so the database never shows a worker connected
after its last connection was lost; everything started in the background is
tracked, so ``drain()`` can wait for it when the master stops.
"""

from __future__ import annotations

from collections.abc import Coroutine
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from marid.workers.config import LocalWorker
from marid.workers.connection import Connection, stored_info
from marid.workers.protocol.pb import (
    LoginRefused,
    LoginRejected,
    RemoteRef,
    is_connection_lost,
)
from marid.workers.state import LinkState, WorkerRecord, WorkerStore

log = Logger()

ATTACHED_PRINTS = 100
"""Newly attached builders announced one ``print("attached")`` each; more get one summary."""

BUILDER_LIST_TIMEOUT = 30.0
"""Seconds a worker has to answer ``setBuilderList``."""

DUPLICATE_CHECK_TIMEOUT = 10.0
"""Seconds the old connection of a duplicate login has to answer ``print``."""


class Sessions:
    """Logins, attach sequences, disconnects, missing timers and graceful shutdowns."""

    def __init__(
        self,
        clock: IReactorTime,
        store: WorkerStore,
        masterid: int,
        records: dict[str, WorkerRecord],
        local_secret: bytes,
    ) -> None:
        self._clock = clock
        self._store = store
        self._masterid = masterid
        self._records = records
        self._local_secret = local_secret
        self._pending: set[defer.Deferred[None]] = set()
        self.stopping = False

    # -- background work ---------------------------------------------------------

    def track(self, work: Coroutine[Any, Any, None], what: str) -> defer.Deferred[None]:
        """Run ``work`` in the background; failures are logged, ``drain`` waits for it."""
        d = defer.Deferred.fromCoroutine(work)
        self._pending.add(d)

        def done(result: Any) -> None:
            self._pending.discard(d)
            if isinstance(result, Failure):
                log.failure("worker {what} failed", result, what=what)

        d.addBoth(done)
        return d

    async def drain(self) -> None:
        while self._pending:
            await defer.DeferredList(list(self._pending), consumeErrors=True)

    async def workerid(self, record: WorkerRecord) -> int:
        if record.workerid is None:
            record.workerid = await self._store.workers.find_worker_id(record.name)
        return record.workerid

    # -- logins (the PB layer's LoginHandler) -------------------------------------

    def password_for(self, name: str) -> bytes | None:
        record = self._records.get(name)
        if record is None or self.stopping:
            return None
        if isinstance(record.config, LocalWorker):
            return self._local_secret
        return record.config.password_bytes

    async def logged_in(self, name: str, bot: RemoteRef) -> Connection:
        record = self._records.get(name)
        if record is None or record.removed or self.stopping:
            raise LoginRefused("login refused")
        await record.login_lock.acquire()
        try:
            old = record.connection
            if old is not None:
                await self._settle_duplicate(record, old, bot)
            if record.removed or self.stopping:
                raise LoginRefused("login refused")
            conn = Connection(
                name,
                bot,
                self._clock,
                max_builder_references=record.config.max_builder_references,
            )
            conn.on_shutdown_request = lambda: self.request_graceful(record)
            record.connection = conn
            record.move_to(LinkState.ATTACHING)
            record.cancel_missing_timer()
            conn.notify_on_disconnect(lambda: self._lost(record, conn))
        finally:
            record.login_lock.release()
        self.track(self._attach(record, conn), f"{name} attach")
        return conn

    async def _settle_duplicate(
        self, record: WorkerRecord, old: Connection, bot: RemoteRef
    ) -> None:
        try:
            d = old.remote_print(
                f"master got a second login as {record.name} from {bot.peer}; "
                "checking that this connection is still alive"
            )
            d.addTimeout(DUPLICATE_CHECK_TIMEOUT, self._clock)
            await d
        except Exception:
            log.info(
                "worker {name}: the connection from {old} did not answer; "
                "replacing it with the new one from {new}",
                name=record.name,
                old=old.peer,
                new=bot.peer,
            )
            if record.connection is old:
                record.connection = None
                record.move_to(LinkState.DISCONNECTED)
                old.stop_keepalive()
                old.abort()
            return
        log.warn(
            "worker {name}: refused a second login from {new}; it is connected from {old}",
            name=record.name,
            old=old.peer,
            new=bot.peer,
        )
        raise LoginRejected(f"worker {record.name!r} is already connected to this master")

    # -- the attach sequence -------------------------------------------------------

    async def _attach(self, record: WorkerRecord, conn: Connection) -> None:
        try:
            await conn.remote_print("attached")
            info = await conn.get_worker_info()
            await self.workerid(record)
            await self.send_builder_list(record, conn)
            await self._store_connected(record, conn, stored_info(info))
        except Exception as error:
            if conn.is_connected:
                log.warn(
                    "worker {name} ({peer}) failed to attach: {error}; dropping the connection",
                    name=record.name,
                    peer=conn.peer,
                    error=error,
                )
                conn.lose_connection()
            return
        if record.connection is not conn or not conn.is_connected:
            return
        record.move_to(LinkState.CONNECTED)
        conn.start_keepalive(record.config.keepalive_seconds)
        log.info(
            "worker {name} attached from {peer} (version {version})",
            name=record.name,
            peer=conn.peer,
            version=conn.info.get("version"),
        )
        waiters, record.waiters = record.waiters, []
        for waiter in waiters:
            waiter.callback(conn)
        if record.graceful and record.shutdown_sent:
            # It came back after the shutdown it was asked for: the request is done.
            record.graceful = record.shutdown_sent = False
            await self.store_flags(record)
        await self.maybe_shutdown(record)

    async def send_builder_list(self, record: WorkerRecord, conn: Connection) -> None:
        """``setBuilderList`` with the record's builders; ``print`` per newly attached one.

        Past ``ATTACHED_PRINTS`` new builders one ``print`` says how many: the
        message only goes to the worker's log, which needs no 5,000 lines of it.
        """
        d = defer.Deferred.fromCoroutine(conn.set_builder_list(record.builders))
        new = await d.addTimeout(BUILDER_LIST_TIMEOUT, self._clock)
        if len(new) > ATTACHED_PRINTS:
            await conn.remote_print(f"attached {len(new)} builders")
        elif new:
            await defer.gatherResults([conn.remote_print("attached") for _ in new])

    async def resend_builder_list(self, record: WorkerRecord, conn: Connection) -> str | None:
        """Send a reconfig's builder list to an attached worker; the reason if it was refused.

        A connection lost meanwhile is no refusal: the list goes out when the worker attaches
        again. On a refusal the worker keeps serving the builders it had.
        """
        try:
            await self.send_builder_list(record, conn)
        except Exception as error:
            if not conn.is_connected or is_connection_lost(error):
                log.info(
                    "worker {name} went away before it took its new builder list; "
                    "it gets it when it attaches again",
                    name=record.name,
                )
                return None
            reason = (
                f"no answer within {BUILDER_LIST_TIMEOUT:g} s"
                if isinstance(error, defer.TimeoutError)
                else str(error).strip().rstrip(".") or type(error).__name__
            )
            log.error(
                "worker {name} ({peer}) did not take its new list of {count} builders: "
                "{reason}; it keeps its previous {kept} builders",
                name=record.name,
                peer=conn.peer,
                count=len(record.builders),
                reason=reason,
                kept=len(conn.builders),
            )
            return f"worker {record.name!r}: {reason}"
        return None

    async def _store_connected(
        self, record: WorkerRecord, conn: Connection, info: dict[str, Any]
    ) -> None:
        await record.store_lock.acquire()
        try:
            if record.connection is conn and conn.is_connected:
                workerid = await self.workerid(record)
                await self._store.workers.worker_connected(workerid, self._masterid, info)
                record.stored_connected = True
        finally:
            record.store_lock.release()

    # -- lost connections and the missing timer -------------------------------------

    def _lost(self, record: WorkerRecord, conn: Connection) -> None:
        conn.stop_keepalive()
        if record.connection is not conn:
            return  # a replaced duplicate: its successor owns the record now
        record.connection = None
        record.move_to(LinkState.DISCONNECTED)
        record.last_connection = self._clock.seconds()
        log.info("worker {name} disconnected ({peer})", name=record.name, peer=conn.peer)
        if not record.removed and not self.stopping:
            self.start_missing_timer(record)
        self.track(self._store_disconnected(record), f"{record.name} disconnect")

    async def _store_disconnected(self, record: WorkerRecord) -> None:
        await record.store_lock.acquire()
        try:
            if record.stored_connected and record.state is not LinkState.CONNECTED:
                workerid = await self.workerid(record)
                await self._store.workers.worker_disconnected(workerid, self._masterid)
                record.stored_connected = False
        finally:
            record.store_lock.release()

    def start_missing_timer(self, record: WorkerRecord) -> None:
        record.cancel_missing_timer()
        seconds = record.config.missing_seconds
        if seconds is not None:
            record.missing_timer = self._clock.callLater(seconds, self._missing, record)

    def _missing(self, record: WorkerRecord) -> None:
        record.missing_timer = None
        if record.removed or record.connection is not None or self.stopping:
            return
        self.track(self._publish_missing(record), f"{record.name} missing")

    async def _publish_missing(self, record: WorkerRecord) -> None:
        workerid = await self.workerid(record)
        last = record.last_connection
        log.warn(
            "worker {name} is missing: disconnected {seconds:.0f} s ago",
            name=record.name,
            seconds=self._clock.seconds() - (last or 0),
        )
        await self._store.workers.worker_missing(
            workerid,
            self._masterid,
            record.name,
            record.config.notify_addresses,
            None if last is None else int(last),
        )

    # -- pause and graceful shutdown ------------------------------------------------------

    async def store_flags(self, record: WorkerRecord) -> None:
        workerid = await self.workerid(record)
        await self._store.workers.set_worker_state(
            workerid,
            paused=record.paused,
            graceful=record.graceful,
            pause_reason=record.pause_reason,
        )

    def request_graceful(self, record: WorkerRecord) -> None:
        """The worker asked to shut down: the same as the ``stop`` control."""
        self.track(self.stop_gracefully(record), f"{record.name} graceful shutdown")

    async def stop_gracefully(self, record: WorkerRecord) -> None:
        """Mark the worker graceful; it is shut down (in the background) once idle."""
        if not record.graceful:
            record.graceful = True
            record.shutdown_sent = False
            await self.store_flags(record)
        self.track(self.maybe_shutdown(record), f"{record.name} graceful shutdown")

    async def maybe_shutdown(self, record: WorkerRecord) -> None:
        """Shut the worker down if a graceful stop is pending and it runs no build."""
        conn = record.attached
        if not record.graceful or record.shutdown_sent or record.running_builds or conn is None:
            return
        record.shutdown_sent = True
        log.info("worker {name} is idle; asking it to shut down", name=record.name)
        try:
            await conn.remote_shutdown()
        except Exception as error:
            log.warn("worker {name} refused to shut down: {error}", name=record.name, error=error)
