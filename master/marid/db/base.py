"""Helpers shared by the entity components: name hashing and get-or-create."""

from __future__ import annotations

import hashlib
from typing import Any

import sqlalchemy as sa

from marid.db.pool import DBThreadPool


def name_hash(name: str) -> str:
    """The sha1 hex of a name: the unique key for names too long to index."""
    return hashlib.sha1(name.encode("utf-8")).hexdigest()


def find_or_insert(
    conn: sa.Connection,
    table: sa.Table,
    where: dict[str, Any],
    values: dict[str, Any],
    *,
    id_column: str = "id",
) -> int:
    """Return the id of the row matching ``where``, inserting ``values`` if there is none.

    A concurrent insert by another master loses on the unique constraint; the
    row it lost to is then read back.
    """
    cond = [table.c[k] == v for k, v in where.items()]
    found = conn.execute(sa.select(table.c[id_column]).where(*cond)).scalar()
    if found is not None:
        return int(found)
    try:
        with conn.begin_nested():
            result = conn.execute(table.insert().values(**values))
            key = result.inserted_primary_key
            assert key is not None
            return int(key[0])
    except sa.exc.IntegrityError:
        return int(conn.execute(sa.select(table.c[id_column]).where(*cond)).scalar_one())


class Component:
    """An entity group's queries; each public coroutine runs one transaction in the pool."""

    def __init__(self, pool: DBThreadPool):
        self.pool = pool
