"""Schema migrations: apply Marid's Alembic revisions and check a database against them.

The revisions live in ``marid/db/migrations/versions/``; there is no
``alembic.ini``, the configuration is built here. Everything is synchronous:
callers on the reactor thread run these functions in a thread.

Invariants:

- There is exactly one head; ``marid upgrade-master`` takes a database there.
- The master refuses to run unless :func:`check_schema` passes, i.e. the
  database is at that head.
- On SQLite, foreign keys are switched off while migrations run (batch mode
  rebuilds tables, and dropping a referenced table must not cascade) and
  checked afterwards.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence

import sqlalchemy as sa
from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from marid.db.errors import SchemaError, SchemaNotInitialized, SchemaTooNew, SchemaTooOld

MIGRATIONS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "migrations")


class Migrations:
    """Marid's revisions, plus any extra revision directories (tests use one)."""

    def __init__(self, extra_version_locations: Sequence[str] = ()) -> None:
        self._locations = [os.path.join(MIGRATIONS_DIR, "versions"), *extra_version_locations]

    def config(self, connection: sa.Connection | None = None) -> Config:
        """An Alembic configuration for these revisions, bound to ``connection`` if given."""
        cfg = Config()
        # ConfigParser interpolates "%"; paths must not be mangled by it.
        cfg.set_main_option("script_location", MIGRATIONS_DIR.replace("%", "%%"))
        cfg.set_main_option("path_separator", "os")
        cfg.set_main_option(
            "version_locations", os.pathsep.join(self._locations).replace("%", "%%")
        )
        if connection is not None:
            cfg.attributes["connection"] = connection
        return cfg

    def script(self) -> ScriptDirectory:
        return ScriptDirectory.from_config(self.config())

    def head_revision(self) -> str:
        """The revision this Marid works with."""
        heads = self.script().get_heads()
        if len(heads) != 1:
            raise SchemaError(f"Marid's migrations must have one head, found {sorted(heads)}")
        return heads[0]

    def current_revision(self, engine: sa.Engine) -> str | None:
        """The database's revision; ``None`` for a database Marid never migrated."""
        with engine.connect() as connection:
            heads = MigrationContext.configure(connection).get_current_heads()
        if len(heads) > 1:
            raise SchemaError(f"the database is at several revisions at once: {sorted(heads)}")
        return heads[0] if heads else None

    def upgrade(self, engine: sa.Engine, revision: str = "head") -> None:
        """Migrate the database up to ``revision``; a no-op when it is there already."""
        with _migration_connection(engine) as connection:
            command.upgrade(self.config(connection), revision)

    def downgrade(self, engine: sa.Engine, revision: str) -> None:
        """Migrate the database down to ``revision`` (``"base"``: drop everything)."""
        with _migration_connection(engine) as connection:
            command.downgrade(self.config(connection), revision)

    def check_schema(self, engine: sa.Engine) -> None:
        """Raise a :class:`~marid.db.errors.SchemaError` unless the database is at the head."""
        head = self.head_revision()
        current = self.current_revision(engine)
        if current is None:
            raise SchemaNotInitialized()
        if current == head:
            return
        # Exact ids only: Alembic's own lookup would also accept a prefix.
        known = {script.revision for script in self.script().walk_revisions()}
        if current in known:
            raise SchemaTooOld(current, head)
        raise SchemaTooNew(current, head)


@contextlib.contextmanager
def _migration_connection(engine: sa.Engine) -> Iterator[sa.Connection]:
    with engine.connect() as connection:
        if connection.dialect.name != "sqlite":
            yield connection
            return
        # The pragma is a no-op inside a transaction, so it goes first, on its own.
        connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
        connection.commit()
        try:
            yield connection
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise SchemaError(f"migration left rows with dangling foreign keys: {problems}")
        finally:
            connection.rollback()
            connection.exec_driver_sql("PRAGMA foreign_keys=ON")
            connection.commit()


_MIGRATIONS = Migrations()


def head_revision() -> str:
    """The revision this Marid works with."""
    return _MIGRATIONS.head_revision()


def current_revision(engine: sa.Engine) -> str | None:
    """The database's revision; ``None`` for a database Marid never migrated."""
    return _MIGRATIONS.current_revision(engine)


def upgrade(engine: sa.Engine, revision: str = "head") -> None:
    """Migrate the database up to ``revision``; a no-op when it is there already."""
    _MIGRATIONS.upgrade(engine, revision)


def downgrade(engine: sa.Engine, revision: str) -> None:
    """Migrate the database down to ``revision`` (``"base"``: drop everything)."""
    _MIGRATIONS.downgrade(engine, revision)


def check_schema(engine: sa.Engine) -> None:
    """Raise :class:`~marid.db.errors.SchemaNotInitialized`, ``SchemaTooOld`` or
    ``SchemaTooNew`` unless the database is at :func:`head_revision`."""
    _MIGRATIONS.check_schema(engine)
