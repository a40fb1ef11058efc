"""The thread pool: queries leave the reactor thread, transient failures are retried."""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path

import pytest
import pytest_twisted
import sqlalchemy as sa
from twisted.internet import defer, reactor, threads

from marid.db import model
from marid.db.engine import make_engine
from marid.db.errors import DatabaseUnavailable
from marid.db.migrate import upgrade
from marid.db.pool import DBThreadPool, is_storage_failure, is_transient


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
        pending = defer.Deferred.fromCoroutine(
            pool.run(
                lambda conn: conn.execute(model.workers.insert().values(name="mine", info="{}"))
            )
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


def hold_exclusive_lock(path: Path) -> sqlite3.Connection:
    """Another process's view of the file: a connection in ``BEGIN EXCLUSIVE``."""
    other = sqlite3.connect(path, isolation_level=None)
    other.execute("BEGIN EXCLUSIVE")
    other.execute("INSERT INTO workers (name, info) VALUES ('held', '{}')")
    return other


def count_workers(conn: sa.Connection) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(model.workers)).scalar_one())


@pytest_twisted.ensureDeferred
async def test_sqlite_reads_are_answered_while_a_write_waits_for_an_exclusive_lock(
    tmp_path: Path,
) -> None:
    pool = make_pool("sqlite:///state.sqlite", tmp_path)
    await pool.run(lambda conn: conn.execute(model.workers.insert().values(name="w", info="{}")))
    other = hold_exclusive_lock(tmp_path / "state.sqlite")
    try:
        waiting = defer.Deferred.fromCoroutine(
            pool.run(
                lambda conn: conn.execute(model.workers.insert().values(name="mine", info="{}"))
            )
        )
        # The single writer thread is now inside its busy wait; reads must not queue behind it.
        for _ in range(3):
            assert await pool.read(count_workers) == 1
        assert not waiting.called
        other.execute("COMMIT")
        await waiting
        assert await pool.read(count_workers) == 3
    finally:
        other.close()
        pool.stop()


@pytest_twisted.ensureDeferred
async def test_a_write_locked_out_past_the_timeout_fails_as_unavailable(tmp_path: Path) -> None:
    engine = make_engine("sqlite:///state.sqlite", str(tmp_path), timeout=0.5)
    upgrade(engine)
    pool = DBThreadPool(engine, reactor, timeout=0.5)
    pool.start()
    other = hold_exclusive_lock(tmp_path / "state.sqlite")
    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            await pool.run(
                lambda conn: conn.execute(model.workers.insert().values(name="m", info="{}"))
            )
        assert raised.value.reason == "database is locked (still after 0.5 s)"
        assert str(raised.value).startswith("the database is unavailable: database is locked")
    finally:
        other.close()
        pool.stop()


@pytest_twisted.ensureDeferred
async def test_a_full_sqlite_database_fails_as_unavailable_without_retrying(
    tmp_path: Path,
) -> None:
    pool = make_pool("sqlite:///state.sqlite", tmp_path)
    attempts = []

    def fill(conn: sa.Connection) -> None:
        attempts.append(1)
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar_one()
        conn.exec_driver_sql(f"PRAGMA max_page_count={pages + 2}")
        conn.execute(model.workers.insert().values(name="big", info="x" * 100_000))

    try:
        with pytest.raises(DatabaseUnavailable) as raised:
            await pool.run(fill)
        assert raised.value.reason == "database or disk is full"
        assert attempts == [1]
    finally:
        pool.stop()


@pytest_twisted.ensureDeferred
async def test_a_read_that_writes_is_refused_on_sqlite(tmp_path: Path) -> None:
    pool = make_pool("sqlite:///state.sqlite", tmp_path)
    try:
        with pytest.raises(sa.exc.OperationalError, match="readonly"):
            await pool.read(
                lambda conn: conn.execute(model.workers.insert().values(name="w", info="{}"))
            )
        await pool.run(
            lambda conn: conn.execute(model.workers.insert().values(name="w", info="{}"))
        )
        assert await pool.read(count_workers) == 1
    finally:
        pool.stop()


@pytest_twisted.ensureDeferred
async def test_stopping_the_pool_ends_a_write_that_waits_for_a_lock(tmp_path: Path) -> None:
    engine = make_engine("sqlite:///state.sqlite", str(tmp_path), timeout=600)
    upgrade(engine)
    pool = DBThreadPool(engine, reactor, timeout=600)
    pool.start()
    other = hold_exclusive_lock(tmp_path / "state.sqlite")
    try:
        waiting = defer.Deferred.fromCoroutine(
            pool.run(lambda conn: conn.execute(model.workers.insert().values(name="m", info="{}")))
        )
        await threads.deferToThread(lambda: threading.Event().wait(0.2))
        # The writer is in a busy wait of at most a second; the stop ends the retries.
        await threads.deferToThread(pool.stop)
        with pytest.raises(DatabaseUnavailable, match="stopping"):
            await waiting
        with pytest.raises(DatabaseUnavailable, match="stopping"):
            await pool.read(count_workers)
    finally:
        other.close()


@pytest.mark.db_backends("postgresql", "mysql")
@pytest_twisted.ensureDeferred
async def test_server_reads_are_answered_while_a_write_waits_for_a_row_lock(
    db_url: str, tmp_path: Path
) -> None:
    pool = make_pool(db_url, tmp_path)
    await pool.run(lambda conn: conn.execute(model.workers.insert().values(name="w", info="{}")))
    other = make_engine(db_url)
    holder = other.connect()
    holder.begin()
    holder.execute(model.workers.update().values(info='{"a": 1}'))
    try:
        waiting = defer.Deferred.fromCoroutine(
            pool.run(lambda conn: conn.execute(model.workers.update().values(info="{}")))
        )
        for _ in range(3):
            assert await pool.read(count_workers) == 1
        holder.rollback()
        await waiting
    finally:
        holder.close()
        other.dispose()
        pool.stop()


def test_storage_failures_are_told_apart_from_transient_errors() -> None:
    full = sa.exc.OperationalError(
        "insert", {}, sqlite3.OperationalError("database or disk is full")
    )
    locked = sa.exc.OperationalError("insert", {}, sqlite3.OperationalError("database is locked"))
    assert is_storage_failure(full) and not is_transient(full)
    assert is_transient(locked) and not is_storage_failure(locked)
