"""Change sources: names and which master runs each.

A change source runs on at most one master; the ``changesource_masters`` row
is the claim, taken and released exactly as schedulers' are (the helpers live
in ``marid.db.schedulers``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert, name_hash
from marid.db.query import Query, fetch_page
from marid.db.schedulers import claim, master_of, with_master

t = model.changesources
cm = model.changesource_masters

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "changesourceid": t.c.id,
    "name": t.c.name,
}

EXTRA_FIELDS = ("master",)

_BASE = with_master(t, cm, "changesourceid")


@dataclass
class ChangeSourceModel:
    changesourceid: int
    name: str
    master: dict[str, Any] | None


def _model(row: sa.Row[Any]) -> ChangeSourceModel:
    return ChangeSourceModel(row.id, row.name, master_of(row))


class ChangeSourcesComponent(Component):
    async def release_claims_of(self, masterid: int) -> None:
        """Free every change source ``masterid`` had claimed."""

        def thd(conn: sa.Connection) -> None:
            conn.execute(cm.delete().where(cm.c.masterid == masterid))

        await self.pool.run(thd)

    async def find_changesource_id(self, name: str) -> int:
        def thd(conn: sa.Connection) -> int:
            h = name_hash(name)
            return find_or_insert(conn, t, {"name_hash": h}, {"name": name, "name_hash": h})

        return await self.pool.run(thd)

    async def set_changesource_master(self, changesourceid: int, masterid: int | None) -> bool:
        """Claim (or with None release) the change source; False if another master holds it."""

        def thd(conn: sa.Connection) -> bool:
            return claim(conn, cm, "changesourceid", changesourceid, masterid)

        return await self.pool.run(thd)

    async def get_changesource(self, changesourceid: int) -> ChangeSourceModel | None:
        def thd(conn: sa.Connection) -> ChangeSourceModel | None:
            row = conn.execute(_BASE.where(t.c.id == changesourceid)).first()
            return _model(row) if row else None

        return await self.pool.read(thd)

    async def get_changesources(
        self, query: Query, *, masterid: int | None = None
    ) -> tuple[list[ChangeSourceModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[ChangeSourceModel], int]:
            base = _BASE if masterid is None else _BASE.where(cm.c.masterid == masterid)
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return [_model(r) for r in rows], total

        return await self.pool.read(thd)
