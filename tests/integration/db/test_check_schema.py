"""``check_schema``: the master refuses any database that is not at this Marid's head."""

from __future__ import annotations

from pathlib import Path

import pytest
import sqlalchemy as sa

from marid.db import migrate
from marid.db.errors import SchemaNotInitialized, SchemaTooNew, SchemaTooOld

EXTRA_REVISIONS = str(Path(__file__).parent / "extra_revisions")
AFTER_HEAD = "test_after_head"


def set_version_row(engine: sa.Engine, revision: str) -> None:
    with engine.begin() as connection:
        connection.exec_driver_sql("DELETE FROM alembic_version")
        connection.execute(
            sa.text("INSERT INTO alembic_version (version_num) VALUES (:rev)"), {"rev": revision}
        )


def test_empty_database_is_not_initialized(db_engine: sa.Engine) -> None:
    with pytest.raises(SchemaNotInitialized, match="upgrade-master"):
        migrate.check_schema(db_engine)


def test_database_at_head_passes(db_engine: sa.Engine) -> None:
    migrate.upgrade(db_engine)

    migrate.check_schema(db_engine)


def test_database_downgraded_to_base_is_not_initialized(db_engine: sa.Engine) -> None:
    migrate.upgrade(db_engine)
    migrate.downgrade(db_engine, "base")

    with pytest.raises(SchemaNotInitialized):
        migrate.check_schema(db_engine)


def test_database_behind_this_marid_is_too_old(db_engine: sa.Engine) -> None:
    # A Marid one revision ahead of the database: the real head plus a test-only one.
    newer_marid = migrate.Migrations(extra_version_locations=[EXTRA_REVISIONS])
    migrate.upgrade(db_engine)

    with pytest.raises(SchemaTooOld) as raised:
        newer_marid.check_schema(db_engine)

    assert raised.value.current == migrate.head_revision()
    assert raised.value.head == AFTER_HEAD
    assert "upgrade-master" in str(raised.value)


def test_upgrade_brings_an_old_database_to_head(db_engine: sa.Engine) -> None:
    newer_marid = migrate.Migrations(extra_version_locations=[EXTRA_REVISIONS])
    migrate.upgrade(db_engine)

    newer_marid.upgrade(db_engine)

    newer_marid.check_schema(db_engine)
    assert "test_only" in sa.inspect(db_engine).get_table_names()


def test_database_from_a_newer_marid_is_too_new(db_engine: sa.Engine) -> None:
    migrate.Migrations(extra_version_locations=[EXTRA_REVISIONS]).upgrade(db_engine)

    with pytest.raises(SchemaTooNew) as raised:
        migrate.check_schema(db_engine)

    assert raised.value.current == AFTER_HEAD
    assert AFTER_HEAD in str(raised.value)


@pytest.mark.db_backends("sqlite")
@pytest.mark.parametrize("revision", ["feedfacecafe", "000"])
def test_unknown_revision_is_too_new(db_engine: sa.Engine, revision: str) -> None:
    # "000" is a prefix of "0001": Alembic's lookup would accept it, check_schema must not.
    migrate.upgrade(db_engine)
    set_version_row(db_engine, revision)

    with pytest.raises(SchemaTooNew, match=revision):
        migrate.check_schema(db_engine)
