"""Workers: identity, info, pause and graceful state, and where each is configured and connected."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert
from marid.db.query import Query, fetch_page

t = model.workers
cw = model.configured_workers
cn = model.connected_workers
bm = model.builder_masters

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "workerid": t.c.id,
    "name": t.c.name,
    "paused": t.c.paused != 0,
    "pause_reason": t.c.pause_reason,
    "graceful": t.c.graceful != 0,
}


@dataclass
class WorkerModel:
    workerid: int
    name: str
    workerinfo: dict[str, Any]
    paused: bool
    pause_reason: str | None
    graceful: bool
    configured_on: list[dict[str, int]] = field(default_factory=list)
    connected_to: list[dict[str, int]] = field(default_factory=list)


def _attach(conn: sa.Connection, rows: list[sa.Row[Any]]) -> list[WorkerModel]:
    ids = [r.id for r in rows]
    configured: dict[int, list[dict[str, int]]] = defaultdict(list)
    connected: dict[int, list[dict[str, int]]] = defaultdict(list)
    if ids:
        q = (
            sa.select(cw.c.workerid, bm.c.builderid, bm.c.masterid)
            .join(bm, bm.c.id == cw.c.buildermasterid)
            .where(cw.c.workerid.in_(ids))
            .order_by(bm.c.builderid, bm.c.masterid)
        )
        for workerid, builderid, masterid in conn.execute(q):
            configured[workerid].append({"builderid": builderid, "masterid": masterid})
        q2 = (
            sa.select(cn.c.workerid, cn.c.masterid)
            .where(cn.c.workerid.in_(ids))
            .order_by(cn.c.masterid)
        )
        for workerid, masterid in conn.execute(q2):
            connected[workerid].append({"masterid": masterid})
    return [
        WorkerModel(
            r.id,
            r.name,
            json.loads(r.info),
            bool(r.paused),
            r.pause_reason,
            bool(r.graceful),
            configured[r.id],
            connected[r.id],
        )
        for r in rows
    ]


class WorkersComponent(Component):
    async def find_worker_id(self, name: str) -> int:
        def thd(conn: sa.Connection) -> int:
            return find_or_insert(conn, t, {"name": name}, {"name": name, "info": "{}"})

        return await self.pool.run(thd)

    async def worker_configured(self, workerid: int, masterid: int, builderids: list[int]) -> None:
        """Make ``builderids`` exactly the builders ``workerid`` serves on ``masterid``."""

        def thd(conn: sa.Connection) -> None:
            rows = conn.execute(
                sa.select(bm.c.id, bm.c.builderid).where(bm.c.masterid == masterid)
            ).all()
            bm_ids = {builderid: bmid for bmid, builderid in rows}
            mine = [bm_ids[b] for b in builderids if b in bm_ids]
            all_bm = list(bm_ids.values())
            if all_bm:
                conn.execute(
                    cw.delete().where(cw.c.workerid == workerid, cw.c.buildermasterid.in_(all_bm))
                )
            for bmid in sorted(set(mine)):
                conn.execute(cw.insert().values(workerid=workerid, buildermasterid=bmid))

        await self.pool.run(thd)

    async def deconfigure_all_except(self, masterid: int, keep: list[int]) -> None:
        """Forget configured_workers rows on ``masterid`` for workers no longer configured."""

        def thd(conn: sa.Connection) -> None:
            bm_ids = sa.select(bm.c.id).where(bm.c.masterid == masterid)
            cond = [cw.c.buildermasterid.in_(bm_ids)]
            if keep:
                cond.append(cw.c.workerid.not_in(keep))
            conn.execute(cw.delete().where(*cond))

        await self.pool.run(thd)

    async def worker_connected(
        self, workerid: int, masterid: int, workerinfo: dict[str, Any]
    ) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(t.update().where(t.c.id == workerid).values(info=json.dumps(workerinfo)))
            exists = conn.execute(
                sa.select(cn.c.id).where(cn.c.workerid == workerid, cn.c.masterid == masterid)
            ).first()
            if exists is None:
                conn.execute(cn.insert().values(workerid=workerid, masterid=masterid))

        await self.pool.run(thd)

    async def worker_disconnected(self, workerid: int, masterid: int) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(cn.delete().where(cn.c.workerid == workerid, cn.c.masterid == masterid))

        await self.pool.run(thd)

    async def set_worker_state(
        self, workerid: int, *, paused: bool, graceful: bool, pause_reason: str | None = None
    ) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(
                t.update()
                .where(t.c.id == workerid)
                .values(
                    paused=int(paused),
                    graceful=int(graceful),
                    pause_reason=pause_reason if paused else None,
                )
            )

        await self.pool.run(thd)

    async def forget_master(self, masterid: int) -> None:
        """Drop a stopped master's connected and configured rows."""

        def thd(conn: sa.Connection) -> None:
            conn.execute(cn.delete().where(cn.c.masterid == masterid))
            conn.execute(
                cw.delete().where(
                    cw.c.buildermasterid.in_(sa.select(bm.c.id).where(bm.c.masterid == masterid))
                )
            )

        await self.pool.run(thd)

    async def get_worker(
        self, workerid: int | None = None, name: str | None = None
    ) -> WorkerModel | None:
        def thd(conn: sa.Connection) -> WorkerModel | None:
            cond = t.c.id == workerid if workerid is not None else t.c.name == name
            row = conn.execute(sa.select(t).where(cond)).first()
            return _attach(conn, [row])[0] if row else None

        return await self.pool.read(thd)

    async def get_workers(
        self,
        query: Query,
        *,
        masterid: int | None = None,
        builderid: int | None = None,
    ) -> tuple[list[WorkerModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[WorkerModel], int]:
            base = sa.select(t)
            if builderid is not None or masterid is not None:
                sel = sa.select(cw.c.workerid).join(bm, bm.c.id == cw.c.buildermasterid)
                if builderid is not None:
                    sel = sel.where(bm.c.builderid == builderid)
                if masterid is not None:
                    sel = sel.where(bm.c.masterid == masterid)
                cond: sa.ColumnElement[bool] = t.c.id.in_(sel)
                if masterid is not None and builderid is None:
                    cond = cond | t.c.id.in_(
                        sa.select(cn.c.workerid).where(cn.c.masterid == masterid)
                    )
                base = base.where(cond)
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return _attach(conn, rows), total

        return await self.pool.read(thd)
