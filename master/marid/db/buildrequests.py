"""Build requests: one per builder in a buildset, claimed by the master that runs it.

A claim is a ``buildrequest_claims`` row; its primary key is the request id,
so two masters cannot both claim a request. ``claim_build_requests`` is
all-or-nothing: if any request is already claimed the whole transaction rolls
back and ``AlreadyClaimedError`` is raised. ``claimed``, ``claimed_at`` and
``claimed_by_masterid`` come from an outer join on the claims, so filters on
them run in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component
from marid.db.buildsets import load_properties
from marid.db.query import Filter, Query, fetch_page

t = model.buildrequests
claims = model.buildrequest_claims


class AlreadyClaimedError(Exception):
    """At least one of the build requests is claimed already (by this or another master)."""


FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "buildrequestid": t.c.id,
    "buildsetid": t.c.buildsetid,
    "builderid": t.c.builderid,
    "priority": t.c.priority,
    "complete": t.c.complete != 0,
    "results": t.c.results,
    "submitted_at": t.c.submitted_at,
    "complete_at": t.c.complete_at,
    "waited_for": t.c.waited_for != 0,
    "claimed": claims.c.brid.is_not(None),
    "claimed_at": claims.c.claimed_at,
    "claimed_by_masterid": claims.c.masterid,
}

EXTRA_FIELDS = ("properties",)

_BASE = sa.select(t, claims.c.masterid, claims.c.claimed_at).select_from(
    t.outerjoin(claims, claims.c.brid == t.c.id)
)


@dataclass
class BuildRequestModel:
    buildrequestid: int
    buildsetid: int
    builderid: int
    priority: int
    claimed: bool
    claimed_at: int | None
    claimed_by_masterid: int | None
    complete: bool
    results: int | None
    submitted_at: int
    complete_at: int | None
    waited_for: bool
    # None unless properties were asked for (REST ``property=``).
    properties: dict[str, list[Any]] | None = None


def _model(row: sa.Row[Any]) -> BuildRequestModel:
    return BuildRequestModel(
        buildrequestid=row.id,
        buildsetid=row.buildsetid,
        builderid=row.builderid,
        priority=row.priority,
        claimed=row.masterid is not None,
        claimed_at=row.claimed_at,
        claimed_by_masterid=row.masterid,
        complete=bool(row.complete),
        results=row.results,
        submitted_at=row.submitted_at,
        complete_at=row.complete_at,
        waited_for=bool(row.waited_for),
    )


def _with_properties(
    conn: sa.Connection, models: list[BuildRequestModel], names: Sequence[str]
) -> list[BuildRequestModel]:
    if not names:
        return models
    by_bsid = load_properties(conn, (m.buildsetid for m in models))
    for m in models:
        props = by_bsid.get(m.buildsetid, {})
        m.properties = (
            dict(props) if "*" in names else {k: v for k, v in props.items() if k in names}
        )
    return models


class BuildRequestsComponent(Component):
    async def claim_build_requests(self, brids: Sequence[int], masterid: int, now: int) -> None:
        """Claim every request in ``brids`` for ``masterid``, or none (``AlreadyClaimedError``)."""

        def thd(conn: sa.Connection) -> None:
            if not brids:
                return
            try:
                conn.execute(
                    claims.insert(),
                    [{"brid": brid, "masterid": masterid, "claimed_at": now} for brid in brids],
                )
            except sa.exc.IntegrityError as error:
                raise AlreadyClaimedError(
                    f"build requests {list(brids)} are not all unclaimed"
                ) from error

        await self.pool.run(thd)

    async def unclaim_build_requests(
        self, brids: Sequence[int], masterid: int | None = None
    ) -> list[int]:
        """Release the incomplete requests among ``brids`` (held by ``masterid`` when given).

        Return the ids actually released.
        """

        def thd(conn: sa.Connection) -> list[int]:
            if not brids:
                return []
            cond: list[sa.ColumnElement[bool]] = [
                claims.c.brid.in_(brids),
                claims.c.brid.in_(sa.select(t.c.id).where(t.c.complete == 0)),
            ]
            if masterid is not None:
                cond.append(claims.c.masterid == masterid)
            released = sorted(conn.execute(sa.select(claims.c.brid).where(*cond)).scalars())
            if released:
                conn.execute(claims.delete().where(claims.c.brid.in_(released)))
            return released

        return await self.pool.run(thd)

    async def complete_build_requests(
        self, brids: Sequence[int], results: int, now: int
    ) -> list[int]:
        """Mark the incomplete requests among ``brids`` complete; return those ids."""

        def thd(conn: sa.Connection) -> list[int]:
            if not brids:
                return []
            pending = sorted(
                conn.execute(
                    sa.select(t.c.id).where(t.c.id.in_(brids), t.c.complete == 0)
                ).scalars()
            )
            if pending:
                conn.execute(
                    t.update()
                    .where(t.c.id.in_(pending), t.c.complete == 0)
                    .values(complete=1, results=results, complete_at=now)
                )
            return pending

        return await self.pool.run(thd)

    async def get_build_request(
        self, brid: int, *, properties: Sequence[str] = ()
    ) -> BuildRequestModel | None:
        def thd(conn: sa.Connection) -> BuildRequestModel | None:
            row = conn.execute(_BASE.where(t.c.id == brid)).first()
            return _with_properties(conn, [_model(row)], properties)[0] if row else None

        return await self.pool.read(thd)

    async def get_build_requests(
        self,
        query: Query,
        *,
        builderid: int | None = None,
        properties: Sequence[str] = (),
        written: bool = False,
    ) -> tuple[list[BuildRequestModel], int]:
        """A page of requests; ``written``: the master has just written them (``read_written``)."""

        def thd(conn: sa.Connection) -> tuple[list[BuildRequestModel], int]:
            base = _BASE if builderid is None else _BASE.where(t.c.builderid == builderid)
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return _with_properties(conn, [_model(r) for r in rows], properties), total

        return await (self.pool.read_written if written else self.pool.read)(thd)

    async def get_build_requests_by_ids(
        self, brids: Sequence[int], *, written: bool = False
    ) -> list[BuildRequestModel]:
        if not brids:
            return []
        items, _ = await self.get_build_requests(
            Query(filters=[Filter("buildrequestid", "in", tuple(brids))]), written=written
        )
        return items
