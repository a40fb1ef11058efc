"""Schedulers: names, enabled flags, which master runs each, and their change classifications.

A scheduler runs on at most one master: the ``scheduler_masters`` row is the
claim and its primary key makes a second master's claim fail. The claim
helpers here are shared with change sources, which are claimed the same way.
``scheduler_changes`` records which changes a scheduler has seen and whether
each was important, until the scheduler flushes them into a buildset.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert, name_hash
from marid.db.query import Query, fetch_page

t = model.schedulers
sm = model.scheduler_masters
sc = model.scheduler_changes
m = model.masters

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "schedulerid": t.c.id,
    "name": t.c.name,
    "enabled": t.c.enabled != 0,
}

EXTRA_FIELDS = ("master",)

MASTER_COLUMNS = (
    m.c.id.label("master_id"),
    m.c.name.label("master_name"),
    m.c.active.label("master_active"),
    m.c.last_active.label("master_last_active"),
)


@dataclass
class SchedulerModel:
    schedulerid: int
    name: str
    enabled: bool
    master: dict[str, Any] | None


def master_of(row: sa.Row[Any]) -> dict[str, Any] | None:
    """The nested ``master`` of a row selected with ``MASTER_COLUMNS``."""
    if row.master_id is None:
        return None
    return {
        "masterid": row.master_id,
        "name": row.master_name,
        "active": bool(row.master_active),
        "last_active": row.master_last_active,
    }


def claim(
    conn: sa.Connection, claims: sa.Table, key: str, objid: int, masterid: int | None
) -> bool:
    """Make ``masterid`` (or nobody) the holder of ``objid``; False if another master holds it."""
    if masterid is None:
        conn.execute(claims.delete().where(claims.c[key] == objid))
        return True
    holder = conn.execute(sa.select(claims.c.masterid).where(claims.c[key] == objid)).scalar()
    if holder is not None:
        return bool(holder == masterid)
    try:
        with conn.begin_nested():
            conn.execute(claims.insert().values({key: objid, "masterid": masterid}))
    except sa.exc.IntegrityError:
        holder = conn.execute(sa.select(claims.c.masterid).where(claims.c[key] == objid)).scalar()
        return bool(holder == masterid)
    return True


def with_master(table: sa.Table, claims: sa.Table, key: str) -> sa.Select[Any]:
    """``SELECT table.*, master columns`` with an outer join through the claims."""
    return sa.select(table, *MASTER_COLUMNS).select_from(
        table.outerjoin(claims, claims.c[key] == table.c.id).outerjoin(
            m, m.c.id == claims.c.masterid
        )
    )


_BASE = with_master(t, sm, "schedulerid")


def _model(row: sa.Row[Any]) -> SchedulerModel:
    return SchedulerModel(row.id, row.name, bool(row.enabled), master_of(row))


class SchedulersComponent(Component):
    async def release_claims_of(self, masterid: int) -> None:
        """Free every scheduler ``masterid`` had claimed (it stopped or was declared dead)."""

        def thd(conn: sa.Connection) -> None:
            conn.execute(sm.delete().where(sm.c.masterid == masterid))

        await self.pool.run(thd)

    async def find_scheduler_id(self, name: str) -> int:
        def thd(conn: sa.Connection) -> int:
            h = name_hash(name)
            return find_or_insert(
                conn, t, {"name_hash": h}, {"name": name, "name_hash": h, "enabled": 1}
            )

        return await self.pool.run(thd)

    async def set_scheduler_master(self, schedulerid: int, masterid: int | None) -> bool:
        def thd(conn: sa.Connection) -> bool:
            return claim(conn, sm, "schedulerid", schedulerid, masterid)

        return await self.pool.run(thd)

    async def set_scheduler_enabled(self, schedulerid: int, enabled: bool) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(t.update().where(t.c.id == schedulerid).values(enabled=int(enabled)))

        await self.pool.run(thd)

    async def get_scheduler(self, schedulerid: int) -> SchedulerModel | None:
        def thd(conn: sa.Connection) -> SchedulerModel | None:
            row = conn.execute(_BASE.where(t.c.id == schedulerid)).first()
            return _model(row) if row else None

        return await self.pool.read(thd)

    async def get_schedulers(
        self, query: Query, *, masterid: int | None = None
    ) -> tuple[list[SchedulerModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[SchedulerModel], int]:
            base = _BASE if masterid is None else _BASE.where(sm.c.masterid == masterid)
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return [_model(r) for r in rows], total

        return await self.pool.read(thd)

    async def classify_changes(self, schedulerid: int, classifications: Mapping[int, bool]) -> None:
        """Record, per change id, whether the change is important to the scheduler."""

        def thd(conn: sa.Connection) -> None:
            for changeid, important in classifications.items():
                cond = [sc.c.schedulerid == schedulerid, sc.c.changeid == changeid]
                conn.execute(sc.delete().where(*cond))
                conn.execute(
                    sc.insert().values(
                        schedulerid=schedulerid, changeid=changeid, important=int(important)
                    )
                )

        await self.pool.run(thd)

    async def flush_change_classifications(
        self, schedulerid: int, less_than: int | None = None
    ) -> None:
        """Forget the scheduler's classifications (only of changes below ``less_than`` if given)."""

        def thd(conn: sa.Connection) -> None:
            cond = [sc.c.schedulerid == schedulerid]
            if less_than is not None:
                cond.append(sc.c.changeid < less_than)
            conn.execute(sc.delete().where(*cond))

        await self.pool.run(thd)

    async def get_change_classifications(self, schedulerid: int, **match: Any) -> dict[int, bool]:
        """``{changeid: important}``; keyword arguments (branch, repository, project,
        codebase) keep only changes with those values."""

        def thd(conn: sa.Connection) -> dict[int, bool]:
            ch = model.changes
            q = sa.select(sc.c.changeid, sc.c.important).where(sc.c.schedulerid == schedulerid)
            if match:
                q = q.join(ch, ch.c.changeid == sc.c.changeid)
                for column, value in match.items():
                    q = q.where(ch.c[column].is_(None) if value is None else ch.c[column] == value)
            return {int(changeid): bool(important) for changeid, important in conn.execute(q)}

        return await self.pool.read(thd)
