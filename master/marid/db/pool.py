"""The database thread pools: every query runs here, never on the reactor thread.

``DBThreadPool.run(fn, *args)`` calls ``fn(connection, *args)`` inside one
transaction in a writer thread and returns its result to the reactor as an
awaitable Deferred. ``DBThreadPool.read(fn, *args)`` does the same for a call
that only reads, in a reader thread with its own connections: a write that
waits for a lock (another process holding ``BEGIN EXCLUSIVE`` on the SQLite
file, a row lock on a server) never holds up the web server's reads. SQLite in
WAL mode lets readers read while another connection writes. The in-memory
SQLite database has a single connection, so there reads share the writer.

Threads: SQLite gets one writer (it serialises writers anyway, and one writer
does not contend with itself for the file lock) and two readers; server
databases get four of each.

Errors, per call:

- a transient failure (SQLite busy or locked, a lock wait that timed out, a
  deadlock, a connection the server dropped) is retried with a short backoff,
  the transaction having been rolled back, until ``timeout`` seconds have
  passed since the call began; then it raises ``DatabaseUnavailable``;
- a failure of the storage (disk full, I/O error) raises ``DatabaseUnavailable``
  at once: retrying would only hold the thread;
- anything else (a constraint, a bug) is raised as it is.

A call may therefore run more than once; each is one transaction, so it must
not have effects outside the database. ``stop()`` makes calls still queued, or
waiting between retries, fail with ``DatabaseUnavailable`` at once, so a
master can stop while the database is locked or full.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from twisted.internet import threads
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

from marid.db.engine import DEFAULT_TIMEOUT, is_sqlite_in_memory
from marid.db.errors import DatabaseUnavailable

T = TypeVar("T")
P = ParamSpec("P")

log = Logger()

_TRANSIENT_SQLITE = ("database is locked", "database is busy", "database table is locked")
_STORAGE_SQLITE = ("database or disk is full", "disk i/o error")
# MySQL: 1205 lock wait timeout, 1213 deadlock, 2003 cannot connect, 2006/2013 server gone away.
_TRANSIENT_MYSQL = (1205, 1213, 2003, 2006, 2013)
# MySQL: 1021 disk full, 1114 table is full.
_STORAGE_MYSQL = (1021, 1114)
# PostgreSQL: serialization failure, deadlock, lock timeout, admin shutdown, connection lost.
_TRANSIENT_PG = ("40001", "40P01", "55P03", "57P01", "08006", "08003", "08001")
# PostgreSQL: 53100 disk full, 58030 I/O error.
_STORAGE_PG = ("53100", "58030")


def _codes(error: sa.exc.DBAPIError) -> tuple[str, object, object]:
    text = str(error.orig).lower()
    code = getattr(error.orig, "args", (None,))[0] if error.orig is not None else None
    return text, code, getattr(error.orig, "sqlstate", None)


def is_transient(error: BaseException) -> bool:
    """True when retrying the same transaction soon may succeed."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.exc.OperationalError):
        text, code, sqlstate = _codes(error)
        return (
            any(marker in text for marker in _TRANSIENT_SQLITE)
            or code in _TRANSIENT_MYSQL
            or sqlstate in _TRANSIENT_PG
        )
    return False


def is_storage_failure(error: BaseException) -> bool:
    """True when the database could not store the transaction: its disk is full or failing."""
    if isinstance(error, sa.exc.DBAPIError) and not isinstance(error, sa.exc.IntegrityError):
        text, code, sqlstate = _codes(error)
        return (
            any(marker in text for marker in _STORAGE_SQLITE)
            or code in _STORAGE_MYSQL
            or sqlstate in _STORAGE_PG
        )
    return False


def first_line(error: sa.exc.DBAPIError) -> str:
    lines = str(error.orig).strip().splitlines()
    return lines[0] if lines else type(error.orig).__name__


class DBThreadPool:
    """Runs callables against ``engine`` in worker threads, one transaction per call."""

    def __init__(
        self,
        engine: sa.Engine,
        reactor: IReactorThreads,
        *,
        threads_max: int | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.engine = engine
        self.timeout = timeout
        self._reactor = reactor
        sqlite = self._sqlite = engine.dialect.name == "sqlite"
        if threads_max is None:
            threads_max = 1 if sqlite else 4
        self._writers = ThreadPool(minthreads=1, maxthreads=threads_max, name="marid-db")
        self._readers = (
            self._writers
            if is_sqlite_in_memory(engine)
            else ThreadPool(minthreads=1, maxthreads=2 if sqlite else 4, name="marid-db-read")
        )
        self._stopping = threading.Event()
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._stopping.clear()
            self._writers.start()
            if self._readers is not self._writers:
                self._readers.start()
            self._started = True

    def stop(self) -> None:
        """Stop the threads; calls not yet done fail with ``DatabaseUnavailable``."""
        if self._started:
            self._stopping.set()
            self._writers.stop()
            if self._readers is not self._writers:
                self._readers.stop()
            self._started = False
        self.engine.dispose()

    def _attempts(self, fn: Callable[[sa.Connection], T], *, read_only: bool) -> T:
        deadline = time.monotonic() + self.timeout
        delay = 0.01
        while True:
            if self._stopping.is_set():
                raise DatabaseUnavailable("the master is stopping")
            try:
                with self.engine.begin() as conn:
                    if read_only and self._sqlite:
                        return self._read_only(conn, fn)
                    return fn(conn)
            except sa.exc.DBAPIError as error:
                if is_storage_failure(error):
                    raise DatabaseUnavailable(first_line(error)) from error
                if not is_transient(error):
                    raise
                left = deadline - time.monotonic()
                if left <= 0:
                    reason = f"{first_line(error)} (still after {self.timeout:g} s)"
                    raise DatabaseUnavailable(reason) from error
                log.info("transient database error, retrying: {error}", error=error.orig)
                self._stopping.wait(min(delay, left))
                delay = min(delay * 4, 1.0)

    @staticmethod
    def _read_only(conn: sa.Connection, fn: Callable[[sa.Connection], T]) -> T:
        # SQLite refuses any write on this connection meanwhile: a read that writes is a bug.
        conn.exec_driver_sql("PRAGMA query_only=ON")
        try:
            return fn(conn)
        finally:
            conn.exec_driver_sql("PRAGMA query_only=OFF")

    async def _call(self, threads_: ThreadPool, fn: Callable[[sa.Connection], T], read: bool) -> T:
        if not self._started:
            # A stopped ThreadPool would queue the call for ever.
            raise DatabaseUnavailable("the master is stopping")
        result: T = await threads.deferToThreadPool(
            self._reactor, threads_, lambda: self._attempts(fn, read_only=read)
        )
        return result

    async def run(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, *args)`` in a writer thread inside a transaction."""
        return await self._call(self._writers, lambda conn: fn(conn, *args, **kwargs), False)

    async def read(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, *args)``, which must not write, in a reader thread."""
        return await self._call(self._readers, lambda conn: fn(conn, *args, **kwargs), True)

    async def read_written(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, *args)``, a read of rows the master has just written, on the writer.

        The data API reads back what it wrote to publish it: on the writer's
        thread that read comes right after the write, on a connection whose
        cache holds the pages it changed, which costs far less than a reader's
        connection (a fifth of a trivial build's CPU). Reads that answer API
        calls use ``read``, so a write stuck on a lock never holds them up.
        """
        return await self._call(self._writers, lambda conn: fn(conn, *args, **kwargs), False)

    async def run_engine(self, fn: Callable[[sa.Engine], T]) -> T:
        """Run ``fn(engine)`` in a writer thread, for work that manages its own transactions."""
        result: T = await threads.deferToThreadPool(
            self._reactor,
            self._writers,
            fn,
            self.engine,
        )
        return result


def run_sync(engine: sa.Engine, fn: Callable[[sa.Connection], Any]) -> Any:
    """Run ``fn`` in one transaction on the calling thread (CLI commands and tests only)."""
    with engine.begin() as conn:
        return fn(conn)
