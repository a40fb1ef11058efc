"""The database thread pool: every query runs here, never on the reactor thread.

``DBThreadPool.run(fn, *args)`` calls ``fn(connection, *args)`` inside one
transaction in a pool thread and returns its result to the reactor as an
awaitable Deferred. Transient failures (SQLite busy or locked, a connection the
server dropped) are retried with a short backoff; the function must therefore be
safe to run again, which holds because its transaction was rolled back.

SQLite gets a single thread: it serialises writers anyway, and one thread keeps
one open connection instead of contending for the file lock. Server databases
get a few threads so that reads do not queue behind writes.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import sqlalchemy as sa
from twisted.internet import threads
from twisted.internet.interfaces import IReactorThreads
from twisted.logger import Logger
from twisted.python.threadpool import ThreadPool

T = TypeVar("T")
P = ParamSpec("P")

log = Logger()

_RETRIES = 6
_TRANSIENT_SQLITE = ("database is locked", "database is busy", "database table is locked")


def is_transient(error: BaseException) -> bool:
    """True when retrying the same transaction may succeed."""
    if isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated:
        return True
    if isinstance(error, sa.exc.OperationalError):
        text = str(error.orig).lower()
        if any(marker in text for marker in _TRANSIENT_SQLITE):
            return True
        # MySQL: 1205 lock wait timeout, 1213 deadlock, 2006/2013 server gone away.
        code = getattr(error.orig, "args", (None,))[0]
        if code in (1205, 1213, 2006, 2013):
            return True
        # PostgreSQL: serialization failures and deadlocks are safe to retry.
        sqlstate = getattr(error.orig, "sqlstate", None)
        if sqlstate in ("40001", "40P01", "57P01", "08006", "08003"):
            return True
    return False


class DBThreadPool:
    """Runs callables against ``engine`` in worker threads, one transaction per call."""

    def __init__(
        self, engine: sa.Engine, reactor: IReactorThreads, *, threads_max: int | None = None
    ):
        self.engine = engine
        self._reactor = reactor
        if threads_max is None:
            threads_max = 1 if engine.dialect.name == "sqlite" else 4
        self._pool = ThreadPool(minthreads=1, maxthreads=threads_max, name="marid-db")
        self._started = False

    def start(self) -> None:
        if not self._started:
            self._pool.start()
            self._started = True

    def stop(self) -> None:
        if self._started:
            self._pool.stop()
            self._started = False
        self.engine.dispose()

    def _run_with_retries(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        delay = 0.01
        for attempt in range(_RETRIES):
            try:
                with self.engine.begin() as conn:
                    return fn(conn, *args, **kwargs)
            except sa.exc.DBAPIError as error:
                if attempt == _RETRIES - 1 or not is_transient(error):
                    raise
                log.info("transient database error, retrying: {error}", error=error.orig)
                time.sleep(delay)
                delay = min(delay * 4, 2.0)
        raise AssertionError("unreachable")

    async def run(
        self, fn: Callable[Concatenate[sa.Connection, P], T], *args: P.args, **kwargs: P.kwargs
    ) -> T:
        """Run ``fn(conn, *args)`` in a pool thread inside a transaction."""
        result: T = await threads.deferToThreadPool(
            self._reactor,
            self._pool,
            lambda: self._run_with_retries(fn, *args, **kwargs),
        )
        return result

    async def run_engine(self, fn: Callable[[sa.Engine], T]) -> T:
        """Run ``fn(engine)`` in a pool thread, for work that manages its own transactions."""
        result: T = await threads.deferToThreadPool(
            self._reactor,
            self._pool,
            fn,
            self.engine,
        )
        return result


def run_sync(engine: sa.Engine, fn: Callable[[sa.Connection], Any]) -> Any:
    """Run ``fn`` in one transaction on the calling thread (CLI commands and tests only)."""
    with engine.begin() as conn:
        return fn(conn)
