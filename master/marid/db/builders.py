"""Builders: their names, descriptions, tags, project and the masters that run them."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert, name_hash
from marid.db.query import Query, fetch_page

t = model.builders
bm = model.builder_masters
bt = model.builders_tags

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "builderid": t.c.id,
    "name": t.c.name,
    "description": t.c.description,
    "description_format": t.c.description_format,
    "description_html": t.c.description_html,
    "projectid": t.c.projectid,
    # Filter only (``builders?active=true``): some master configures the builder,
    # that is its ``masterids`` is not empty.
    "active": sa.exists().where(bm.c.builderid == t.c.id),
}


@dataclass
class BuilderModel:
    builderid: int
    name: str
    description: str | None
    description_format: str | None
    description_html: str | None
    projectid: int | None
    masterids: list[int] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)


def _attach(conn: sa.Connection, rows: list[sa.Row[Any]]) -> list[BuilderModel]:
    ids = [r.id for r in rows]
    masterids: dict[int, list[int]] = defaultdict(list)
    tag_names: dict[int, list[str]] = defaultdict(list)
    if ids:
        for builderid, masterid in conn.execute(
            sa.select(bm.c.builderid, bm.c.masterid)
            .where(bm.c.builderid.in_(ids))
            .order_by(bm.c.masterid)
        ):
            masterids[builderid].append(masterid)
        for builderid, tag in conn.execute(
            sa.select(bt.c.builderid, model.tags.c.name)
            .join(model.tags, model.tags.c.id == bt.c.tagid)
            .where(bt.c.builderid.in_(ids))
            .order_by(model.tags.c.name)
        ):
            tag_names[builderid].append(tag)
    return [
        BuilderModel(
            r.id,
            r.name,
            r.description,
            r.description_format,
            r.description_html,
            r.projectid,
            masterids[r.id],
            tag_names[r.id],
        )
        for r in rows
    ]


class BuildersComponent(Component):
    async def find_builder_id(self, name: str) -> int:
        def thd(conn: sa.Connection) -> int:
            h = name_hash(name)
            return find_or_insert(conn, t, {"name_hash": h}, {"name": name, "name_hash": h})

        return await self.pool.run(thd)

    async def update_builder_info(
        self,
        builderid: int,
        *,
        description: str | None,
        description_format: str | None,
        description_html: str | None,
        projectid: int | None,
        tags: list[str],
    ) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(
                t.update()
                .where(t.c.id == builderid)
                .values(
                    description=description,
                    description_format=description_format,
                    description_html=description_html,
                    projectid=projectid,
                )
            )
            conn.execute(bt.delete().where(bt.c.builderid == builderid))
            for tag in sorted(set(tags)):
                h = name_hash(tag)
                tagid = find_or_insert(
                    conn, model.tags, {"name_hash": h}, {"name": tag, "name_hash": h}
                )
                conn.execute(bt.insert().values(builderid=builderid, tagid=tagid))

        await self.pool.run(thd)

    async def set_master_builders(self, masterid: int, builderids: list[int]) -> None:
        """Make ``builderids`` exactly the builders that ``masterid`` runs."""

        def thd(conn: sa.Connection) -> None:
            wanted = set(builderids)
            have = set(
                conn.execute(sa.select(bm.c.builderid).where(bm.c.masterid == masterid)).scalars()
            )
            if have - wanted:
                conn.execute(
                    bm.delete().where(bm.c.masterid == masterid, bm.c.builderid.in_(have - wanted))
                )
            for builderid in sorted(wanted - have):
                conn.execute(bm.insert().values(builderid=builderid, masterid=masterid))

        await self.pool.run(thd)

    async def get_builder(self, builderid: int) -> BuilderModel | None:
        def thd(conn: sa.Connection) -> BuilderModel | None:
            row = conn.execute(sa.select(t).where(t.c.id == builderid)).first()
            return _attach(conn, [row])[0] if row else None

        return await self.pool.read(thd)

    async def get_builders(
        self, query: Query, *, masterid: int | None = None
    ) -> tuple[list[BuilderModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[BuilderModel], int]:
            base = sa.select(t)
            if masterid is not None:
                base = base.where(
                    t.c.id.in_(sa.select(bm.c.builderid).where(bm.c.masterid == masterid))
                )
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return _attach(conn, rows), total

        return await self.pool.read(thd)
