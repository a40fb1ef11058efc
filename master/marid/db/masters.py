"""Masters: one row per master process name, with its liveness."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert, name_hash
from marid.db.query import Query, fetch_page

t = model.masters

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "masterid": t.c.id,
    "name": t.c.name,
    "active": t.c.active != 0,
    "last_active": t.c.last_active,
}


@dataclass
class MasterModel:
    masterid: int
    name: str
    active: bool
    last_active: int


def _model(row: sa.Row[Any]) -> MasterModel:
    return MasterModel(row.id, row.name, bool(row.active), row.last_active)


class MastersComponent(Component):
    async def find_master_id(self, name: str, now: int) -> int:
        def thd(conn: sa.Connection) -> int:
            return find_or_insert(
                conn,
                t,
                {"name_hash": name_hash(name)},
                {"name": name, "name_hash": name_hash(name), "active": 0, "last_active": now},
            )

        return await self.pool.run(thd)

    async def set_master_state(self, masterid: int, active: bool, now: int) -> bool:
        """Record liveness; return True when ``active`` changed."""

        def thd(conn: sa.Connection) -> bool:
            was = conn.execute(sa.select(t.c.active).where(t.c.id == masterid)).scalar()
            values: dict[str, Any] = {"active": int(active)}
            if active:
                values["last_active"] = now
            conn.execute(t.update().where(t.c.id == masterid).values(**values))
            return was is None or bool(was) != active

        return await self.pool.run(thd)

    async def get_master(self, masterid: int) -> MasterModel | None:
        def thd(conn: sa.Connection) -> MasterModel | None:
            row = conn.execute(sa.select(t).where(t.c.id == masterid)).first()
            return _model(row) if row else None

        return await self.pool.read(thd)

    async def get_masters(self, query: Query) -> tuple[list[MasterModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[MasterModel], int]:
            rows, total = fetch_page(conn, sa.select(t), FIELDS, query, default_order=[t.c.id])
            return [_model(r) for r in rows], total

        return await self.pool.read(thd)

    async def find_stale_masters(self, older_than: int) -> list[int]:
        def thd(conn: sa.Connection) -> list[int]:
            q = sa.select(t.c.id).where(t.c.active != 0, t.c.last_active < older_than)
            return [int(r) for r in conn.execute(q).scalars()]

        return await self.pool.run(thd)
