"""Changes: commits reported by change sources, with their files, properties and source stamp.

``add_change`` creates the change's source stamp in the same transaction and
links the change to its parent: the latest earlier change on the same branch,
repository, codebase and project. Properties are stored as JSON
``[value, source]`` pairs.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component
from marid.db.query import Query, fetch_page
from marid.db.sourcestamps import StampFields, find_sourcestamp_in, load_sourcestamps

t = model.changes
cf = model.change_files
cp = model.change_properties

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "changeid": t.c.changeid,
    "author": t.c.author,
    "committer": t.c.committer,
    "comments": t.c.comments,
    "revision": t.c.revision,
    "when_timestamp": t.c.when_timestamp,
    "branch": t.c.branch,
    "category": t.c.category,
    "revlink": t.c.revlink,
    "repository": t.c.repository,
    "project": t.c.project,
    "codebase": t.c.codebase,
}

EXTRA_FIELDS = ("files", "parent_changeids", "properties", "sourcestamp")


@dataclass
class ChangeModel:
    changeid: int
    author: str
    committer: str | None
    files: list[str]
    comments: str
    parent_changeids: list[int]
    revision: str | None
    when_timestamp: int
    branch: str | None
    category: str | None
    revlink: str | None
    properties: dict[str, list[Any]]
    repository: str
    project: str
    codebase: str
    sourcestamp: dict[str, Any] = field(default_factory=dict)


def _attach(conn: sa.Connection, rows: Sequence[sa.Row[Any]]) -> list[ChangeModel]:
    ids = [r.changeid for r in rows]
    files: dict[int, list[str]] = defaultdict(list)
    props: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    if ids:
        file_rows = sa.select(cf.c.changeid, cf.c.filename).where(cf.c.changeid.in_(ids))
        for changeid, filename in conn.execute(file_rows):
            files[changeid].append(filename)
        prop_rows = sa.select(cp.c.changeid, cp.c.property_name, cp.c.property_value).where(
            cp.c.changeid.in_(ids)
        )
        for changeid, name, value in conn.execute(prop_rows):
            props[changeid][name] = list(json.loads(value))
    stamps = load_sourcestamps(conn, (r.sourcestampid for r in rows))
    return [
        ChangeModel(
            changeid=r.changeid,
            author=r.author,
            committer=r.committer,
            files=sorted(files[r.changeid]),
            comments=r.comments,
            parent_changeids=[] if r.parent_changeids is None else [r.parent_changeids],
            revision=r.revision,
            when_timestamp=r.when_timestamp,
            branch=r.branch,
            category=r.category,
            revlink=r.revlink,
            properties=props[r.changeid],
            repository=r.repository,
            project=r.project,
            codebase=r.codebase,
            sourcestamp=stamps.get(r.sourcestampid, {}),
        )
        for r in rows
    ]


def _same_line(branch: str | None, repository: str, codebase: str, project: str) -> list[Any]:
    return [
        t.c.branch.is_(None) if branch is None else t.c.branch == branch,
        t.c.repository == repository,
        t.c.codebase == codebase,
        t.c.project == project,
    ]


class ChangesComponent(Component):
    async def add_change(
        self,
        now: int,
        *,
        author: str,
        committer: str | None = None,
        files: Sequence[str] = (),
        comments: str = "",
        revision: str | None = None,
        when_timestamp: int | None = None,
        branch: str | None = None,
        category: str | None = None,
        revlink: str | None = None,
        properties: Mapping[str, tuple[Any, str]] | None = None,
        repository: str = "",
        codebase: str = "",
        project: str = "",
    ) -> int:
        def thd(conn: sa.Connection) -> int:
            stamp = StampFields(
                branch=branch,
                revision=revision,
                repository=repository,
                project=project,
                codebase=codebase,
            )
            ssid = find_sourcestamp_in(conn, now, stamp)
            parent = conn.execute(
                sa.select(sa.func.max(t.c.changeid)).where(
                    *_same_line(branch, repository, codebase, project)
                )
            ).scalar()
            result = conn.execute(
                t.insert().values(
                    author=author,
                    committer=committer,
                    comments=comments,
                    branch=branch,
                    revision=revision,
                    revlink=revlink,
                    when_timestamp=now if when_timestamp is None else when_timestamp,
                    category=category,
                    repository=repository,
                    codebase=codebase,
                    project=project,
                    sourcestampid=ssid,
                    parent_changeids=parent,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # every backend reports an inserted row's key
            changeid = int(key[0])
            if files:
                conn.execute(cf.insert(), [{"changeid": changeid, "filename": f} for f in files])
            if properties:
                conn.execute(
                    cp.insert(),
                    [
                        {
                            "changeid": changeid,
                            "property_name": name,
                            "property_value": json.dumps(list(pair)),
                        }
                        for name, pair in properties.items()
                    ],
                )
            return changeid

        return await self.pool.run(thd)

    async def get_change(self, changeid: int) -> ChangeModel | None:
        def thd(conn: sa.Connection) -> ChangeModel | None:
            row = conn.execute(sa.select(t).where(t.c.changeid == changeid)).first()
            return _attach(conn, [row])[0] if row else None

        return await self.pool.read(thd)

    async def get_changes(
        self, query: Query, *, ssid: int | None = None, buildid: int | None = None
    ) -> tuple[list[ChangeModel], int]:
        """Changes matching ``query``; with ``buildid``, those of the build's source stamps."""

        def thd(conn: sa.Connection) -> tuple[list[ChangeModel], int]:
            base = sa.select(t)
            if ssid is not None:
                base = base.where(t.c.sourcestampid == ssid)
            if buildid is not None:
                stamps = (
                    sa.select(model.buildset_sourcestamps.c.sourcestampid)
                    .join(
                        model.buildrequests,
                        model.buildrequests.c.buildsetid
                        == model.buildset_sourcestamps.c.buildsetid,
                    )
                    .join(model.builds, model.builds.c.buildrequestid == model.buildrequests.c.id)
                    .where(model.builds.c.id == buildid)
                )
                base = base.where(t.c.sourcestampid.in_(stamps))
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.changeid])
            return _attach(conn, rows), total

        return await self.pool.read(thd)

    async def get_latest_change_id(self) -> int | None:
        def thd(conn: sa.Connection) -> int | None:
            latest = conn.execute(sa.select(sa.func.max(t.c.changeid))).scalar()
            return None if latest is None else int(latest)

        return await self.pool.read(thd)
