"""Alembic's entry point for Marid's migrations; run only through :mod:`marid.db.migrate`.

There is no ``alembic.ini``: :mod:`marid.db.migrate` builds the configuration in
code and passes the open connection in ``config.attributes["connection"]``.
Migrations always run online, against that connection, in one transaction
(which only PostgreSQL makes atomic: SQLite and MySQL commit DDL as they go).

For migration authors: SQLite cannot alter most of a table in place, so write
changes to existing tables inside ``with op.batch_alter_table(name) as batch_op``;
on SQLite it rebuilds the table, elsewhere it issues plain ``ALTER TABLE``.
Autogenerate renders batch operations for this reason.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy.engine import Connection

from marid.db.model import metadata


def run_migrations(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def main() -> None:
    if context.is_offline_mode():
        raise RuntimeError("Marid's migrations run online only, through marid.db.migrate")
    connection = context.config.attributes.get("connection")
    if not isinstance(connection, Connection):
        raise RuntimeError(
            "Marid's migrations run through marid.db.migrate (or `marid upgrade-master`), "
            "which passes the database connection; there is no alembic.ini"
        )
    run_migrations(connection)


main()
