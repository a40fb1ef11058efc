"""Portability rules of the schema in ``marid.db.model``, checked without a database."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from marid.db import model

# PostgreSQL truncates identifiers at 63 bytes, MySQL refuses more than 64.
MAX_IDENTIFIER = 63
# InnoDB's key limit, with utf8mb4's 4 bytes per character.
MAX_KEY_BYTES = 3072
UTF8MB4 = 4

TABLES = list(model.metadata.tables.values())


def named_things() -> Iterator[tuple[str, str | None]]:
    """(what, name) for every constraint and index; name is None when it has none."""
    for table in TABLES:
        for constraint in table.constraints:
            yield f"{type(constraint).__name__} on {table.name}", _name(constraint.name)
        for index in table.indexes:
            yield f"index on {table.name}", _name(index.name)


def _name(name: object) -> str | None:
    # Unnamed constraints carry None or SQLAlchemy's falsy "no name" marker.
    return str(name) if name else None


def keys() -> Iterator[tuple[str, list[sa.Column[object]]]]:
    for table in TABLES:
        for index in table.indexes:
            yield f"{table.name}.{index.name}", list(index.columns)
        for constraint in table.constraints:
            if isinstance(constraint, sa.UniqueConstraint | sa.PrimaryKeyConstraint):
                yield f"{table.name}.{constraint.name}", list(constraint.columns)


def test_every_constraint_and_index_is_named() -> None:
    unnamed = [what for what, name in named_things() if name is None]

    assert unnamed == []


def test_no_identifier_is_too_long_for_postgresql_or_mysql() -> None:
    names = [t.name for t in TABLES]
    names += [f"{t.name}.{c.name}" for t in TABLES for c in t.columns]
    names += [str(name) for _, name in named_things()]

    too_long = [n for n in names if len(n.rsplit(".", 1)[-1]) > MAX_IDENTIFIER]

    assert too_long == []


def test_constraint_and_index_names_are_unique_across_the_schema() -> None:
    # PostgreSQL puts index and constraint names in one namespace per schema.
    names = [str(name) for _, name in named_things()]

    assert sorted(n for n in set(names) if names.count(n) > 1) == []


def test_every_indexed_string_has_a_length() -> None:
    unbounded = [
        f"{key}: {column.name}"
        for key, columns in keys()
        for column in columns
        if isinstance(column.type, sa.String) and not column.type.length
    ]

    assert unbounded == []


def test_every_key_fits_innodbs_limit_in_utf8mb4() -> None:
    def width(column: sa.Column[object]) -> int:
        if isinstance(column.type, sa.String) and column.type.length:
            return column.type.length * UTF8MB4
        return 8

    too_wide = [key for key, columns in keys() if sum(map(width, columns)) > MAX_KEY_BYTES]

    assert too_wide == []


@pytest.mark.parametrize("backend", ["mysql", "mariadb"])
def test_long_columns_are_not_capped_at_64_kib_on_mysql_or_mariadb(backend: str) -> None:
    dialect = sa.make_url(f"{backend}+pymysql://").get_dialect()()
    assert dialect.name == backend
    text = model.logs.c.name.type.compile(dialect=dialect)
    long_text = model.object_state.c.value_json.type.compile(dialect=dialect)
    binary = model.logchunks.c.content.type.compile(dialect=dialect)

    assert (text, long_text, binary) == ("TEXT", "MEDIUMTEXT", "LONGBLOB")
