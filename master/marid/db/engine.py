"""Turn the configured database URL into a SQLAlchemy engine set up for Marid.

Three backends are supported:

- SQLite (the embedded default): a relative path is relative to the master's
  base directory; every connection runs in WAL mode with foreign keys enforced.
  ``sqlite://`` (in memory) shares one connection, or each pooled connection
  would see its own empty database.
- PostgreSQL: ``postgresql://`` means the psycopg 3 driver.
- MySQL/MariaDB: ``mysql://`` (or ``mariadb://``) means PyMySQL, with utf8mb4.

``timeout`` (``c['db']['timeout']``, seconds) bounds the waits: one attempt
waits at most a quarter of it, and never more than a second, for a lock (the
SQLite busy timeout, the servers' lock wait); the servers' connect timeout is
``timeout``. The thread pool retries an attempt that timed out until
``timeout`` has passed in all (see ``pool.py``), and a stopping pool gives up
after the attempt in progress, so no wait outlasts about a second at shutdown.

Anything else raises :class:`~marid.db.errors.DatabaseURLError`.
"""

from __future__ import annotations

import os
import sqlite3
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event, exc
from sqlalchemy.engine import URL
from sqlalchemy.pool import StaticPool

from marid.db.errors import DatabaseURLError

# The driver used when a URL names only the backend.
_DEFAULT_DRIVERS = {
    "sqlite": "pysqlite",
    "postgresql": "psycopg",
    "mysql": "pymysql",
    "mariadb": "pymysql",
}

# Extras that install each backend's driver, for the "driver missing" message.
_EXTRAS = {"postgresql": "postgres", "mysql": "mysql", "mariadb": "mysql"}

_SQLITE_PRAGMAS = (
    "PRAGMA foreign_keys=ON",
    "PRAGMA synchronous=NORMAL",
)

DEFAULT_TIMEOUT = 10.0
"""Seconds one database call may wait for locks or a connection, retries included."""


def attempt_wait(timeout: float) -> float:
    """The longest single wait (SQLite busy timeout, server lock wait) within ``timeout``."""
    return min(max(timeout / 4, 0.1), 1.0)


def make_engine(
    url: str, basedir: str | None = None, *, timeout: float = DEFAULT_TIMEOUT
) -> sa.Engine:
    """Create the engine for ``url``; ``basedir`` anchors a relative SQLite path."""
    parsed = _parse(url)
    backend = parsed.get_backend_name()
    if backend not in _DEFAULT_DRIVERS:
        supported = ", ".join(sorted(_DEFAULT_DRIVERS))
        raise DatabaseURLError(url, f"unsupported database {backend!r} (supported: {supported})")
    if "+" not in parsed.drivername:
        parsed = parsed.set(drivername=f"{backend}+{_DEFAULT_DRIVERS[backend]}")

    kwargs: dict[str, Any]
    if backend == "sqlite":
        parsed, kwargs = _sqlite_options(parsed, basedir)
    elif backend == "postgresql":
        lock_ms = int(attempt_wait(timeout) * 1000)
        connect_args: dict[str, Any] = {"connect_timeout": _connect_timeout(timeout)}
        if "options" not in parsed.query:
            connect_args["options"] = f"-c lock_timeout={lock_ms}"
        kwargs = {"pool_pre_ping": True, "connect_args": connect_args}
    else:
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        lock_s = max(int(attempt_wait(timeout)), 1)
        connect_args = {
            "connect_timeout": _connect_timeout(timeout),
            "init_command": f"SET SESSION innodb_lock_wait_timeout={lock_s}",
        }
        kwargs = {"pool_pre_ping": True, "pool_recycle": 3600, "connect_args": connect_args}

    try:
        engine = sa.create_engine(parsed, **kwargs)
    except exc.NoSuchModuleError as e:
        raise DatabaseURLError(url, f"unknown driver {parsed.drivername!r}") from e
    except ImportError as e:
        extra = _EXTRAS.get(backend)
        hint = f" (pip install 'marid[{extra}]')" if extra else ""
        raise DatabaseURLError(url, f"the {backend} driver is not installed{hint}") from e
    except exc.ArgumentError as e:
        raise DatabaseURLError(url, str(e)) from e

    if backend == "sqlite":
        busy_ms = int(attempt_wait(timeout) * 1000)
        _install_sqlite_pragmas(engine, in_memory=_sqlite_in_memory(parsed), busy_ms=busy_ms)
    return engine


def _connect_timeout(timeout: float) -> int:
    return max(int(timeout), 1)


def _parse(url: str) -> URL:
    try:
        return sa.make_url(url)
    except (exc.ArgumentError, ValueError) as e:
        raise DatabaseURLError(url, "not a URL of the form dialect[+driver]://...") from e


def is_sqlite_in_memory(engine: sa.Engine) -> bool:
    """True for ``sqlite://``: one connection that every thread must share."""
    return engine.dialect.name == "sqlite" and _sqlite_in_memory(engine.url)


def _sqlite_in_memory(url: URL) -> bool:
    return url.database in (None, "", ":memory:")


def _sqlite_options(url: URL, basedir: str | None) -> tuple[URL, dict[str, Any]]:
    # The pool hands each connection to one thread at a time, so the driver's
    # own same-thread check would only get in the way of the thread pool.
    kwargs: dict[str, Any] = {"connect_args": {"check_same_thread": False}}
    if _sqlite_in_memory(url):
        kwargs["poolclass"] = StaticPool
    elif basedir is not None and url.database and not os.path.isabs(url.database):
        url = url.set(database=os.path.join(basedir, url.database))
    return url, kwargs


def _install_sqlite_pragmas(engine: sa.Engine, *, in_memory: bool, busy_ms: int) -> None:
    pragmas: tuple[str, ...] = (*_SQLITE_PRAGMAS, f"PRAGMA busy_timeout={busy_ms}")
    if not in_memory:
        pragmas = ("PRAGMA journal_mode=WAL", *pragmas)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: sqlite3.Connection, _record: object) -> None:
        cursor = dbapi_connection.cursor()
        try:
            for pragma in pragmas:
                cursor.execute(pragma)
        finally:
            cursor.close()


def connection_problem(url: str, error: BaseException) -> str:
    """One line for an operator: which database (password hidden) and what went wrong."""
    try:
        shown = sa.make_url(url).render_as_string(hide_password=True)
    except (exc.ArgumentError, ValueError):
        shown = "(unparseable URL)"
    cause = getattr(error, "orig", None) or error
    first_line = (str(cause).strip().splitlines() or [type(cause).__name__])[0]
    return f"cannot use the database {shown}: {first_line}"
