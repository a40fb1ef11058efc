"""``make_engine``: the URL an operator writes becomes a correctly set-up engine."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from marid.db import migrate, model
from marid.db.engine import make_engine
from marid.db.errors import DatabaseURLError


@pytest.fixture
def sqlite_engine(sqlite_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(sqlite_url)
    yield engine
    engine.dispose()


def pragma(engine: sa.Engine, name: str) -> object:
    with engine.connect() as connection:
        return connection.exec_driver_sql(f"PRAGMA {name}").scalar()


def test_sqlite_file_is_in_wal_mode(sqlite_engine: sa.Engine) -> None:
    assert pragma(sqlite_engine, "journal_mode") == "wal"


def test_sqlite_connections_wait_for_locks_and_sync_normally(sqlite_engine: sa.Engine) -> None:
    # At most a second per attempt; the pool retries until c['db']['timeout'] has passed.
    assert pragma(sqlite_engine, "busy_timeout") == 1000
    assert pragma(sqlite_engine, "synchronous") == 1  # NORMAL


def test_the_timeout_bounds_each_sqlite_lock_wait(tmp_path: Path) -> None:
    engine = make_engine("sqlite:///state.sqlite", str(tmp_path), timeout=2)
    try:
        assert pragma(engine, "busy_timeout") == 500
    finally:
        engine.dispose()


def test_sqlite_enforces_foreign_keys(sqlite_engine: sa.Engine) -> None:
    migrate.upgrade(sqlite_engine)

    with pytest.raises(sa.exc.IntegrityError), sqlite_engine.begin() as connection:
        connection.execute(model.builders_tags.insert().values(builderid=42, tagid=42))


def test_relative_sqlite_path_is_relative_to_basedir(tmp_path: Path) -> None:
    engine = make_engine("sqlite:///state.sqlite", basedir=str(tmp_path))
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            connection.commit()
    finally:
        engine.dispose()

    assert engine.url.database == str(tmp_path / "state.sqlite")
    assert (tmp_path / "state.sqlite").exists()


def test_absolute_sqlite_path_ignores_basedir(tmp_path: Path) -> None:
    path = tmp_path / "elsewhere.sqlite"

    engine = make_engine(f"sqlite:///{path}", basedir="/nonexistent")

    assert engine.url.database == str(path)


def test_in_memory_sqlite_shares_one_database_between_connections() -> None:
    engine = make_engine("sqlite://")
    try:
        with engine.connect() as first:
            first.exec_driver_sql("CREATE TABLE t (x INTEGER)")
            first.exec_driver_sql("INSERT INTO t VALUES (1)")
            first.commit()
        with engine.connect() as second:
            assert second.exec_driver_sql("SELECT x FROM t").scalar() == 1
            assert second.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()


@pytest.mark.parametrize(
    ("url", "driver"),
    [
        ("postgresql://u:p@127.0.0.1/db", "postgresql+psycopg"),
        ("mysql://u:p@127.0.0.1/db", "mysql+pymysql"),
        ("mariadb://u:p@127.0.0.1/db", "mariadb+pymysql"),
        ("mysql+pymysql://u:p@127.0.0.1/db", "mysql+pymysql"),
    ],
)
def test_backend_without_driver_gets_marids_default_driver(url: str, driver: str) -> None:
    engine = make_engine(url)

    assert engine.url.drivername == driver


def test_mysql_connections_use_utf8mb4() -> None:
    assert make_engine("mysql://u:p@127.0.0.1/db").url.query["charset"] == "utf8mb4"


def test_mysql_keeps_an_explicit_charset() -> None:
    assert make_engine("mysql://u:p@127.0.0.1/db?charset=utf8").url.query["charset"] == "utf8"


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("not a url", "not a URL"),
        ("oracle://u:p@127.0.0.1/db", "unsupported database 'oracle'"),
        ("postgresql+nosuchdriver://u:p@127.0.0.1/db", "unknown driver"),
        ("postgresql+psycopg2://u:p@127.0.0.1/db", "driver is not installed"),
    ],
)
def test_bad_url_is_rejected_with_a_clear_reason(url: str, reason: str) -> None:
    with pytest.raises(DatabaseURLError, match=reason):
        make_engine(url)


def test_url_error_does_not_show_the_password() -> None:
    with pytest.raises(DatabaseURLError) as raised:
        make_engine("oracle://admin:hunter2@127.0.0.1/db")

    assert "hunter2" not in str(raised.value)
    assert "admin:***@" in str(raised.value)


def test_every_backend_connects_and_server_connections_are_pinged(db_engine: sa.Engine) -> None:
    with db_engine.connect() as connection:
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1
    # A server may drop an idle connection (restart, wait_timeout): check before use.
    assert db_engine.pool._pre_ping == (db_engine.dialect.name != "sqlite")
