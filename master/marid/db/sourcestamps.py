"""Source stamps: one row per distinct (branch, revision, repository, project, codebase, patch).

A stamp is found or created by ``ss_hash``, the sha1 of its identifying
fields, so asking twice for the same source gives the same ``ssid``. A stamp
with a patch gets a new ``patches`` row each time and so is never shared.
Patch bodies are stored base64-encoded; the API shows them decoded as text.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert
from marid.db.query import Query, fetch_page

t = model.sourcestamps
p = model.patches
bss = model.buildset_sourcestamps

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "ssid": t.c.id,
    "branch": t.c.branch,
    "revision": t.c.revision,
    "repository": t.c.repository,
    "project": t.c.project,
    "codebase": t.c.codebase,
    "created_at": t.c.created_at,
}

_BASE = sa.select(
    t,
    p.c.patchlevel,
    p.c.patch_base64,
    p.c.patch_author,
    p.c.patch_comment,
    p.c.subdir,
).select_from(t.outerjoin(p, p.c.id == t.c.patchid))


@dataclass
class SourceStampModel:
    ssid: int
    branch: str | None
    revision: str | None
    repository: str
    project: str
    codebase: str
    created_at: int
    patch: dict[str, Any] | None


def _model(row: sa.Row[Any]) -> SourceStampModel:
    patch = None
    if row.patchid is not None:
        body = base64.b64decode(row.patch_base64).decode("utf-8", "replace")
        patch = {
            "patchid": row.patchid,
            "level": row.patchlevel,
            "subdir": row.subdir,
            "author": row.patch_author,
            "comment": row.patch_comment,
            "body": body,
        }
    return SourceStampModel(
        row.id,
        row.branch,
        row.revision,
        row.repository,
        row.project,
        row.codebase,
        row.created_at,
        patch,
    )


def ss_hash(*parts: object) -> str:
    # None and "" are different stamps (no branch vs the empty branch): None gets a marker.
    text = "\0".join("\x01" if part is None else str(part) for part in parts)
    return hashlib.sha1(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class StampFields:
    """What identifies a source stamp; a stamp with a patch is always a new row."""

    branch: str | None = None
    revision: str | None = None
    repository: str = ""
    project: str = ""
    codebase: str = ""
    patch_body: bytes | None = None
    patch_level: int | None = None
    patch_author: str | None = None
    patch_comment: str | None = None
    patch_subdir: str | None = None


def find_sourcestamp_in(conn: sa.Connection, now: int, stamp: StampFields) -> int:
    """The ``find_sourcestamp_id`` transaction body, for callers already in a transaction."""
    patchid = None
    branch, revision = stamp.branch, stamp.revision
    if stamp.patch_body is not None:
        result = conn.execute(
            p.insert().values(
                patchlevel=stamp.patch_level if stamp.patch_level is not None else 1,
                patch_base64=base64.b64encode(stamp.patch_body).decode("ascii"),
                patch_author=stamp.patch_author,
                patch_comment=stamp.patch_comment,
                subdir=stamp.patch_subdir,
            )
        )
        key = result.inserted_primary_key
        assert key is not None  # every backend reports an inserted row's key
        patchid = int(key[0])
    repository, project, codebase = (
        stamp.repository or "",
        stamp.project or "",
        stamp.codebase or "",
    )
    digest = ss_hash(branch, revision, repository, project, codebase, patchid)
    return find_or_insert(
        conn,
        t,
        {"ss_hash": digest},
        {
            "ss_hash": digest,
            "branch": branch,
            "revision": revision,
            "patchid": patchid,
            "repository": repository,
            "project": project,
            "codebase": codebase,
            "created_at": now,
        },
    )


def load_sourcestamps(conn: sa.Connection, ssids: Iterable[int]) -> dict[int, dict[str, Any]]:
    """Stamps by id as JSON-ready dicts, in one query (for nesting in changes and buildsets)."""
    wanted = sorted(set(ssids))
    if not wanted:
        return {}
    rows = conn.execute(_BASE.where(t.c.id.in_(wanted)))
    return {row.id: dataclasses.asdict(_model(row)) for row in rows}


class SourceStampsComponent(Component):
    async def find_sourcestamp_id(self, now: int, stamp: StampFields) -> int:
        def thd(conn: sa.Connection) -> int:
            return find_sourcestamp_in(conn, now, stamp)

        return await self.pool.run(thd)

    async def get_sourcestamp(self, ssid: int) -> SourceStampModel | None:
        def thd(conn: sa.Connection) -> SourceStampModel | None:
            row = conn.execute(_BASE.where(t.c.id == ssid)).first()
            return _model(row) if row else None

        return await self.pool.read(thd)

    async def get_patch_body(self, ssid: int) -> bytes | None:
        """The exact bytes of a stamp's patch (the API shows them as text), or None."""

        def thd(conn: sa.Connection) -> bytes | None:
            q = sa.select(p.c.patch_base64).join(t, t.c.patchid == p.c.id).where(t.c.id == ssid)
            encoded = conn.execute(q).scalar()
            return None if encoded is None else base64.b64decode(encoded)

        return await self.pool.read(thd)

    async def get_sourcestamps(
        self, query: Query, *, bsid: int | None = None
    ) -> tuple[list[SourceStampModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[SourceStampModel], int]:
            base = _BASE
            if bsid is not None:
                base = base.where(
                    t.c.id.in_(sa.select(bss.c.sourcestampid).where(bss.c.buildsetid == bsid))
                )
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return [_model(r) for r in rows], total

        return await self.pool.read(thd)
