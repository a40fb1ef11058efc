"""Marid's migrations, run for real on every backend: they build exactly the model."""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext

from marid.db import migrate, model


def _normalised_default(text: str) -> str:
    """``('0')``, ``'0'::character varying`` and ``0`` are all the same default."""
    text = re.sub(r"::[\w ]+$", "", text.strip())
    while text.startswith("(") and text.endswith(")"):
        text = text[1:-1].strip()
    return text.strip("'\"")


def _compare_server_default(
    _context: MigrationContext,
    _inspected_column: sa.Column[Any],
    _metadata_column: sa.Column[Any],
    inspected_default: str | None,
    _metadata_default: Any,
    rendered_metadata_default: str | None,
) -> bool | None:
    if inspected_default is None or rendered_metadata_default is None:
        return None  # Alembic's own comparison: one side has no default
    return _normalised_default(inspected_default) != _normalised_default(rendered_metadata_default)


def schema_differences(engine: sa.Engine) -> list[Any]:
    with engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={"compare_type": True, "compare_server_default": _compare_server_default},
        )
        return list(compare_metadata(context, model.metadata))


def table_names(engine: sa.Engine) -> set[str]:
    return set(sa.inspect(engine).get_table_names())


def test_migrations_have_a_single_head() -> None:
    heads = migrate.Migrations().script().get_heads()

    assert len(heads) == 1
    assert migrate.head_revision() == heads[0]


def test_upgrade_to_head_builds_exactly_the_model(db_engine: sa.Engine) -> None:
    migrate.upgrade(db_engine)

    assert migrate.current_revision(db_engine) == migrate.head_revision()
    assert table_names(db_engine) == set(model.metadata.tables) | {"alembic_version"}
    assert schema_differences(db_engine) == []


def test_downgrade_to_base_then_upgrade_rebuilds_the_schema(db_engine: sa.Engine) -> None:
    migrate.upgrade(db_engine)

    migrate.downgrade(db_engine, "base")
    assert migrate.current_revision(db_engine) is None
    assert table_names(db_engine) == {"alembic_version"}

    migrate.upgrade(db_engine)
    assert migrate.current_revision(db_engine) == migrate.head_revision()
    assert schema_differences(db_engine) == []


def test_each_revision_downgrades_and_upgrades_again(db_engine: sa.Engine) -> None:
    revisions = [script.revision for script in migrate.Migrations().script().walk_revisions()]
    revisions.reverse()  # walk_revisions goes from head to base

    for previous, revision in zip(["base", *revisions], revisions, strict=False):
        migrate.upgrade(db_engine, revision)
        migrate.downgrade(db_engine, previous)
        migrate.upgrade(db_engine, revision)
        assert migrate.current_revision(db_engine) == revision


def test_upgrading_twice_is_a_no_op(db_engine: sa.Engine) -> None:
    migrate.upgrade(db_engine)
    with db_engine.begin() as connection:
        connection.execute(
            model.masters.insert().values(name="m", name_hash="0" * 40, active=1, last_active=0)
        )

    migrate.upgrade(db_engine)

    assert migrate.current_revision(db_engine) == migrate.head_revision()
    with db_engine.connect() as connection:
        assert connection.execute(sa.select(model.masters.c.name)).scalars().all() == ["m"]


def test_upgrade_on_sqlite_leaves_foreign_keys_enforced(sqlite_url: str) -> None:
    # Migrations switch foreign keys off on SQLite; the connection must get them back.
    from marid.db.engine import make_engine

    engine = make_engine(sqlite_url)
    try:
        migrate.upgrade(engine)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        engine.dispose()
