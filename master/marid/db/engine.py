"""Turn the configured database URL into a SQLAlchemy engine set up for Marid.

Three backends are supported:

- SQLite (the embedded default): a relative path is relative to the master's
  base directory; every connection runs in WAL mode with foreign keys enforced
  and a 10 s busy timeout. ``sqlite://`` (in memory) shares one connection, or
  each pooled connection would see its own empty database.
- PostgreSQL: ``postgresql://`` means the psycopg 3 driver.
- MySQL/MariaDB: ``mysql://`` (or ``mariadb://``) means PyMySQL, with utf8mb4.

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
    "PRAGMA busy_timeout=10000",
    "PRAGMA synchronous=NORMAL",
)


def make_engine(url: str, basedir: str | None = None) -> sa.Engine:
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
        kwargs = {"pool_pre_ping": True}
    else:
        if "charset" not in parsed.query:
            parsed = parsed.update_query_dict({"charset": "utf8mb4"})
        kwargs = {"pool_pre_ping": True, "pool_recycle": 3600}

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
        _install_sqlite_pragmas(engine, in_memory=_sqlite_in_memory(parsed))
    return engine


def _parse(url: str) -> URL:
    try:
        return sa.make_url(url)
    except (exc.ArgumentError, ValueError) as e:
        raise DatabaseURLError(url, "not a URL of the form dialect[+driver]://...") from e


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


def _install_sqlite_pragmas(engine: sa.Engine, *, in_memory: bool) -> None:
    pragmas = _SQLITE_PRAGMAS if in_memory else ("PRAGMA journal_mode=WAL", *_SQLITE_PRAGMAS)

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
