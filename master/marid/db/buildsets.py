"""Buildsets: a reason, source stamps and properties, with one build request per builder.

``add_buildset`` writes the buildset, its stamps, its properties and all its
build requests in one transaction, so no reader ever sees a buildset without
its requests. ``complete_buildset_if_done`` marks it complete once every
request is, with the worst of their results; the ``complete = 0`` guard on
the update makes that happen once even when two masters race.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component
from marid.db.query import Query, fetch_page
from marid.db.sourcestamps import StampFields, find_sourcestamp_in, load_sourcestamps

t = model.buildsets
bsp = model.buildset_properties
bss = model.buildset_sourcestamps
br = model.buildrequests

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "bsid": t.c.id,
    "external_idstring": t.c.external_idstring,
    "reason": t.c.reason,
    "submitted_at": t.c.submitted_at,
    "complete": t.c.complete != 0,
    "complete_at": t.c.complete_at,
    "results": t.c.results,
    "parent_buildid": t.c.parent_buildid,
    "parent_relationship": t.c.parent_relationship,
    "rebuilt_buildid": t.c.rebuilt_buildid,
}

EXTRA_FIELDS = ("sourcestamps",)

# Buildbot's results, from the one that wins a "worst of" comparison down to the one that loses.
_WORST_FIRST = (
    5,
    6,
    4,
    2,
    1,
    0,
    3,
)  # RETRY, CANCELLED, EXCEPTION, FAILURE, WARNINGS, SUCCESS, SKIPPED
SUCCESS = 0


def worst_result(results: Iterable[int | None]) -> int:
    """The worst of ``results`` in Buildbot's order; SUCCESS when there are none."""
    seen = {r for r in results if r is not None}
    for candidate in _WORST_FIRST:
        if candidate in seen:
            return candidate
    return max(seen) if seen else SUCCESS


@dataclass
class BuildsetModel:
    bsid: int
    external_idstring: str | None
    reason: str | None
    submitted_at: int
    complete: bool
    complete_at: int | None
    results: int | None
    parent_buildid: int | None
    parent_relationship: str | None
    rebuilt_buildid: int | None
    sourcestamps: list[dict[str, Any]] = field(default_factory=list)


def _attach(conn: sa.Connection, rows: Sequence[sa.Row[Any]]) -> list[BuildsetModel]:
    ids = [r.id for r in rows]
    ssids: dict[int, list[int]] = defaultdict(list)
    if ids:
        q = (
            sa.select(bss.c.buildsetid, bss.c.sourcestampid)
            .where(bss.c.buildsetid.in_(ids))
            .order_by(bss.c.id)
        )
        for bsid, ssid in conn.execute(q):
            ssids[bsid].append(ssid)
    stamps = load_sourcestamps(conn, (s for group in ssids.values() for s in group))
    return [
        BuildsetModel(
            r.id,
            r.external_idstring,
            r.reason,
            r.submitted_at,
            bool(r.complete),
            r.complete_at,
            r.results,
            r.parent_buildid,
            r.parent_relationship,
            r.rebuilt_buildid,
            [stamps[s] for s in ssids[r.id] if s in stamps],
        )
        for r in rows
    ]


def load_properties(conn: sa.Connection, bsids: Iterable[int]) -> dict[int, dict[str, list[Any]]]:
    """Buildset properties ``{bsid: {name: [value, source]}}`` for many buildsets in one query."""
    wanted = sorted(set(bsids))
    found: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    if wanted:
        q = sa.select(bsp.c.buildsetid, bsp.c.property_name, bsp.c.property_value).where(
            bsp.c.buildsetid.in_(wanted)
        )
        for bsid, name, value in conn.execute(q):
            found[bsid][name] = list(json.loads(value))
    return found


SourceStampSpec = int | Mapping[str, Any]


class BuildsetsComponent(Component):
    async def add_buildset(
        self,
        now: int,
        *,
        sourcestamps: Sequence[SourceStampSpec],
        reason: str | None,
        properties: Mapping[str, tuple[Any, str]],
        builderids: Sequence[int],
        waited_for: bool = False,
        external_idstring: str | None = None,
        parent_buildid: int | None = None,
        parent_relationship: str | None = None,
        rebuilt_buildid: int | None = None,
        priority: int = 0,
    ) -> tuple[int, dict[int, int]]:
        """Return ``(bsid, {builderid: buildrequestid})``; a stamp is an ssid or its fields."""

        def thd(conn: sa.Connection) -> tuple[int, dict[int, int]]:
            ssids = []
            for stamp in sourcestamps:
                if isinstance(stamp, int):
                    ssids.append(stamp)
                else:
                    ssids.append(find_sourcestamp_in(conn, now, StampFields(**stamp)))
            result = conn.execute(
                t.insert().values(
                    external_idstring=external_idstring,
                    reason=reason,
                    submitted_at=now,
                    complete=0,
                    complete_at=None,
                    results=None,
                    parent_buildid=parent_buildid,
                    parent_relationship=parent_relationship,
                    rebuilt_buildid=rebuilt_buildid,
                )
            )
            key = result.inserted_primary_key
            assert key is not None  # every backend reports an inserted row's key
            bsid = int(key[0])
            for ssid in dict.fromkeys(ssids):
                conn.execute(bss.insert().values(buildsetid=bsid, sourcestampid=ssid))
            if properties:
                conn.execute(
                    bsp.insert(),
                    [
                        {
                            "buildsetid": bsid,
                            "property_name": name,
                            "property_value": json.dumps(list(pair)),
                        }
                        for name, pair in properties.items()
                    ],
                )
            brids: dict[int, int] = {}
            for builderid in builderids:
                inserted = conn.execute(
                    br.insert().values(
                        buildsetid=bsid,
                        builderid=builderid,
                        priority=priority,
                        complete=0,
                        results=None,
                        submitted_at=now,
                        complete_at=None,
                        waited_for=int(waited_for),
                    )
                )
                key = inserted.inserted_primary_key
                assert key is not None  # every backend reports an inserted row's key
                brids[builderid] = int(key[0])
            return bsid, brids

        return await self.pool.run(thd)

    async def complete_buildset_if_done(self, bsid: int, now: int) -> bool:
        """Complete ``bsid`` if all its requests are complete; True only for the call that did."""

        def thd(conn: sa.Connection) -> bool:
            rows = conn.execute(
                sa.select(br.c.complete, br.c.results).where(br.c.buildsetid == bsid)
            ).all()
            if any(not complete for complete, _ in rows):
                return False
            result = conn.execute(
                t.update()
                .where(t.c.id == bsid, t.c.complete == 0)
                .values(complete=1, complete_at=now, results=worst_result(r for _, r in rows))
            )
            return result.rowcount == 1

        return await self.pool.run(thd)

    async def get_buildset(self, bsid: int) -> BuildsetModel | None:
        def thd(conn: sa.Connection) -> BuildsetModel | None:
            row = conn.execute(sa.select(t).where(t.c.id == bsid)).first()
            return _attach(conn, [row])[0] if row else None

        return await self.pool.read(thd)

    async def get_buildsets(self, query: Query) -> tuple[list[BuildsetModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[BuildsetModel], int]:
            rows, total = fetch_page(conn, sa.select(t), FIELDS, query, default_order=[t.c.id])
            return _attach(conn, rows), total

        return await self.pool.read(thd)

    async def get_buildset_properties(self, bsid: int) -> dict[str, list[Any]] | None:
        """``{name: [value, source]}``, or None when the buildset does not exist."""

        def thd(conn: sa.Connection) -> dict[str, list[Any]] | None:
            if conn.execute(sa.select(t.c.id).where(t.c.id == bsid)).first() is None:
                return None
            return load_properties(conn, [bsid]).get(bsid, {})

        return await self.pool.read(thd)
