"""The thread pool: queries leave the reactor thread, transient failures are retried."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import pytest_twisted
import sqlalchemy as sa
from twisted.internet import reactor, threads

from marid.db import model
from marid.db.engine import make_engine
from marid.db.migrate import upgrade
from marid.db.pool import DBThreadPool, is_transient


def make_pool(url: str, basedir: Path) -> DBThreadPool:
    engine = make_engine(url, str(basedir))
    upgrade(engine)
    pool = DBThreadPool(engine, reactor)
    pool.start()
    return pool


@pytest_twisted.ensureDeferred
async def test_queries_run_outside_the_reactor_thread(db_url: str, tmp_path: Path) -> None:
    pool = make_pool(db_url, tmp_path)
    try:
        reactor_thread = threading.current_thread()
        ran_in = await pool.run(
            lambda conn: (conn.execute(sa.select(1)).scalar(), threading.current_thread())
        )
        assert ran_in[0] == 1
        assert ran_in[1] is not reactor_thread
    finally:
        pool.stop()


@pytest_twisted.ensureDeferred
async def test_a_failing_transaction_is_rolled_back_and_raised(db_url: str, tmp_path: Path) -> None:
    pool = make_pool(db_url, tmp_path)

    def insert_twice(conn: sa.Connection) -> None:
        conn.execute(model.workers.insert().values(name="w", info="{}"))
        conn.execute(model.workers.insert().values(name="w", info="{}"))

    try:
        with pytest.raises(sa.exc.IntegrityError):
            await pool.run(insert_twice)
        count = await pool.run(
            lambda conn: conn.execute(
                sa.select(sa.func.count()).select_from(model.workers)
            ).scalar()
        )
        assert count == 0
    finally:
        pool.stop()


@pytest_twisted.ensureDeferred
async def test_sqlite_write_waits_for_another_writer(tmp_path: Path) -> None:
    pool = make_pool("sqlite:///state.sqlite", tmp_path)
    other = sqlite3.connect(tmp_path / "state.sqlite", isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    other.execute("INSERT INTO workers (name, info) VALUES ('held', '{}')")
    try:
        pending = pool.run(
            lambda conn: conn.execute(model.workers.insert().values(name="mine", info="{}"))
        )
        await threads.deferToThread(lambda: threading.Event().wait(0.3))
        other.execute("COMMIT")
        await pending
        names = await pool.run(
            lambda conn: sorted(conn.execute(sa.select(model.workers.c.name)).scalars())
        )
        assert names == ["held", "mine"]
    finally:
        other.close()
        pool.stop()


@pytest.mark.db_backends("postgresql")
@pytest_twisted.ensureDeferred
async def test_a_dropped_server_connection_is_retried(db_url: str, tmp_path: Path) -> None:
    pool = make_pool(db_url, tmp_path)
    admin = make_engine(db_url)
    try:
        backend_pid = await pool.run(
            lambda conn: conn.execute(sa.text("select pg_backend_pid()")).scalar()
        )
        with admin.begin() as conn:
            assert conn.execute(
                sa.text("select pg_terminate_backend(:p)"), {"p": backend_pid}
            ).scalar()
        # The pooled connection is dead now; the next query must still succeed.
        new_pid = await pool.run(
            lambda conn: conn.execute(sa.text("select pg_backend_pid()")).scalar()
        )
        assert new_pid != backend_pid
    finally:
        admin.dispose()
        pool.stop()


def test_transient_error_classification() -> None:
    locked = sa.exc.OperationalError("insert", {}, sqlite3.OperationalError("database is locked"))
    syntax = sa.exc.OperationalError(
        "insert", {}, sqlite3.OperationalError("near 'x': syntax error")
    )
    assert is_transient(locked)
    assert not is_transient(syntax)
