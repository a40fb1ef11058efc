"""Read-only aggregates for the web UI's pages, each read in one transaction.

A page such as the home page or a build page would otherwise cost dozens of
REST calls (Buildbot's UI makes them). Each method here reads everything one
page shows in a single database round trip, with queries that stay on
indexes at 100,000 builds: newest-first scans of ``builds.id`` with a limit,
the ``(builderid, number)`` unique index for a builder's last builds, and the
``complete_at`` index for the running ones.
"""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

import sqlalchemy as sa

from marid.db import builders as dbbuilders
from marid.db import buildrequests as dbrequests
from marid.db import builds as dbbuilds
from marid.db import changes as dbchanges
from marid.db import logs as dblogs
from marid.db import model
from marid.db import steps as dbsteps
from marid.db import workers as dbworkers
from marid.db.base import Component

b = model.builds
br = model.buildrequests
claims = model.buildrequest_claims
bs = model.buildsets

# Running builds shown at most on the home page.
MAX_RUNNING = 200


def _names(conn: sa.Connection) -> dict[int, str]:
    return dict(conn.execute(sa.select(model.builders.c.id, model.builders.c.name)).all())


def _builds(conn: sa.Connection, q: sa.Select[Any], names: dict[int, str]) -> list[dict[str, Any]]:
    out = []
    for row in conn.execute(q):
        build = asdict(dbbuilds._model(row))
        build["buildername"] = names.get(row.builderid)
        out.append(build)
    return out


def _inactive_count(conn: sa.Connection) -> int:
    """How many builders no master configures any more."""
    query = sa.select(sa.func.count()).where(sa.not_(dbbuilders.FIELDS["active"]))
    return int(conn.execute(query.select_from(model.builders)).scalar_one())


def _pending() -> sa.Select[Any]:
    """Unclaimed, incomplete build requests (a select of their builderid)."""
    return (
        sa.select(br.c.builderid)
        .select_from(br.outerjoin(claims, claims.c.brid == br.c.id))
        .where(br.c.complete == 0, claims.c.brid.is_(None))
    )


class ViewsComponent(Component):
    async def home(self, recent: int) -> dict[str, Any]:
        def thd(conn: sa.Connection) -> dict[str, Any]:
            names = _names(conn)
            running = _builds(
                conn,
                sa.select(b)
                .where(b.c.complete_at.is_(None))
                .order_by(b.c.id.desc())
                .limit(MAX_RUNNING),
                names,
            )
            finished = _builds(
                conn,
                sa.select(b)
                .where(b.c.complete_at.is_not(None))
                .order_by(b.c.id.desc())
                .limit(recent),
                names,
            )
            w = model.workers
            total = conn.execute(sa.select(sa.func.count()).select_from(w)).scalar_one()
            paused = conn.execute(
                sa.select(sa.func.count()).select_from(w).where(w.c.paused != 0)
            ).scalar_one()
            connected = conn.execute(
                sa.select(sa.func.count(sa.distinct(model.connected_workers.c.workerid)))
            ).scalar_one()
            pending = conn.execute(
                sa.select(sa.func.count()).select_from(_pending().subquery())
            ).scalar_one()
            inactive = _inactive_count(conn)
            return {
                "running": running,
                "recent": finished,
                "workers": {"total": total, "connected": connected, "paused": paused},
                "pending": pending,
                "builders": len(names) - inactive,
                "inactive_builders": inactive,
            }

        return await self.pool.read(thd)

    async def builders(self, last: int, *, inactive: bool = False) -> dict[str, Any]:
        """The builders some master configures (all of them with ``inactive``), each with its
        ``last`` newest builds and its running and pending counts; and how many are inactive."""

        def thd(conn: sa.Connection) -> dict[str, Any]:
            query = sa.select(model.builders).order_by(model.builders.c.name)
            if not inactive:
                query = query.where(dbbuilders.FIELDS["active"])
            rows = conn.execute(query).all()
            builders = [asdict(m) for m in dbbuilders._attach(conn, list(rows))]
            running: dict[int, int] = dict(
                conn.execute(
                    sa.select(b.c.builderid, sa.func.count())
                    .where(b.c.complete_at.is_(None))
                    .group_by(b.c.builderid)
                ).all()
            )
            pending_q = _pending().subquery()
            pending: dict[int, int] = dict(
                conn.execute(
                    sa.select(pending_q.c.builderid, sa.func.count()).group_by(
                        pending_q.c.builderid
                    )
                ).all()
            )
            names = {m["builderid"]: m["name"] for m in builders}
            for builder in builders:
                bid = builder["builderid"]
                builder["last_builds"] = _builds(
                    conn,
                    sa.select(b)
                    .where(b.c.builderid == bid)
                    .order_by(b.c.number.desc())
                    .limit(last),
                    names,
                )
                builder["running"] = running.get(bid, 0)
                builder["pending"] = pending.get(bid, 0)
            return {"builders": builders, "inactive": _inactive_count(conn)}

        return await self.pool.read(thd)

    async def build(self, buildid: int) -> dict[str, Any] | None:
        """A build page: the build with its properties, builder, steps with their logs'
        metadata, worker, changes, request, the builds it triggered and its parent."""

        def thd(conn: sa.Connection) -> dict[str, Any] | None:
            row = conn.execute(sa.select(b).where(b.c.id == buildid)).first()
            if row is None:
                return None
            names = _names(conn)
            build = asdict(dbbuilds._model(row))
            build["buildername"] = names.get(row.builderid)
            build["properties"] = dbbuilds.load_properties(conn, [buildid]).get(buildid, {})
            brow = conn.execute(
                sa.select(model.builders).where(model.builders.c.id == row.builderid)
            ).all()
            builder = asdict(dbbuilders._attach(conn, list(brow))[0]) if brow else None
            steps = [
                asdict(dbsteps._model(r))
                for r in conn.execute(
                    sa.select(model.steps)
                    .where(model.steps.c.buildid == buildid)
                    .order_by(model.steps.c.number)
                )
            ]
            logs: dict[int, list[dict[str, Any]]] = {s["stepid"]: [] for s in steps}
            if steps:
                for r in conn.execute(
                    sa.select(model.logs)
                    .where(model.logs.c.stepid.in_(list(logs)))
                    .order_by(model.logs.c.id)
                ):
                    logs[r.stepid].append(asdict(dblogs._model(r)))
            for step in steps:
                step["logs"] = logs[step["stepid"]]
            worker = None
            if row.workerid is not None:
                wrows = conn.execute(
                    sa.select(model.workers).where(model.workers.c.id == row.workerid)
                ).all()
                worker = asdict(dbworkers._attach(conn, list(wrows))[0]) if wrows else None
            rrow = conn.execute(dbrequests._BASE.where(br.c.id == row.buildrequestid)).first()
            request = asdict(dbrequests._model(rrow)) if rrow else None
            changes: list[dict[str, Any]] = []
            parent = None
            if request is not None:
                ssids = sa.select(model.buildset_sourcestamps.c.sourcestampid).where(
                    model.buildset_sourcestamps.c.buildsetid == request["buildsetid"]
                )
                crows = conn.execute(
                    sa.select(model.changes)
                    .where(model.changes.c.sourcestampid.in_(ssids))
                    .order_by(model.changes.c.changeid)
                ).all()
                changes = [asdict(c) for c in dbchanges._attach(conn, crows)]
                parent_id = conn.execute(
                    sa.select(bs.c.parent_buildid).where(bs.c.id == request["buildsetid"])
                ).scalar()
                if parent_id is not None:
                    found = _builds(conn, sa.select(b).where(b.c.id == parent_id), names)
                    parent = found[0] if found else None
            triggered = _builds(
                conn,
                sa.select(b)
                .join(br, br.c.id == b.c.buildrequestid)
                .join(bs, bs.c.id == br.c.buildsetid)
                .where(bs.c.parent_buildid == buildid)
                .order_by(b.c.id),
                names,
            )
            return {
                "build": build,
                "builder": builder,
                "steps": steps,
                "worker": worker,
                "changes": changes,
                "buildrequest": request,
                "triggered": triggered,
                "parent": parent,
            }

        return await self.pool.read(thd)
