"""``BuildRequest``: a pending request as the distributor, builds and user hooks see it.

The attribute names are Buildbot's (``id``, ``bsid``, ``buildername``,
``submittedAt``, ``properties``, ``sources``...) because users' ``nextBuild``,
``collapseRequests`` and ``canStartBuild`` functions read them.
``load_requests`` reads the unclaimed, incomplete requests of some builders
with their buildsets' properties and source stamps in a fixed number of
queries, however many requests there are.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.buildsets import load_properties
from marid.process.properties import Properties

br = model.buildrequests
claims = model.buildrequest_claims
bs = model.buildsets
bss = model.buildset_sourcestamps
ss = model.sourcestamps

STAMP_KEYS = ("ssid", "branch", "revision", "repository", "project", "codebase")


@dataclass
class BuildRequest:
    id: int
    bsid: int
    builderid: int
    buildername: str
    priority: int
    submittedAt: int
    reason: str | None
    waitedFor: bool
    properties: Properties
    # codebase -> the source stamp's attributes (``repository``, ``branch``, ...)
    sources: dict[str, dict[str, Any]] = field(default_factory=dict)
    has_patch: bool = False

    @property
    def buildrequestid(self) -> int:
        return self.id

    def as_dict(self) -> dict[str, Any]:
        """The request as the data API shows it (what ``collapseRequests`` functions receive)."""
        return {
            "buildrequestid": self.id,
            "buildsetid": self.bsid,
            "builderid": self.builderid,
            "priority": self.priority,
            "submitted_at": self.submittedAt,
            "waited_for": self.waitedFor,
            "claimed": False,
            "complete": False,
            "results": None,
        }


def load_requests(
    conn: sa.Connection, builder_names: Mapping[int, str], limit: int = 1000
) -> list[BuildRequest]:
    """The unclaimed, incomplete requests of the builders in ``builder_names`` (id -> name)."""
    if not builder_names:
        return []
    query = (
        sa.select(
            br.c.id,
            br.c.buildsetid,
            br.c.builderid,
            br.c.priority,
            br.c.submitted_at,
            br.c.waited_for,
            bs.c.reason,
        )
        .select_from(
            br.outerjoin(claims, claims.c.brid == br.c.id).join(bs, bs.c.id == br.c.buildsetid)
        )
        .where(claims.c.brid.is_(None))
        .where(br.c.complete == 0)
        .where(br.c.builderid.in_(sorted(builder_names)))
        .order_by(br.c.id)
        .limit(limit)
    )
    rows = conn.execute(query).all()
    bsids = sorted({row.buildsetid for row in rows})
    props = load_properties(conn, bsids)
    stamps = _stamps(conn, bsids)
    requests = []
    for row in rows:
        properties = Properties()
        for name, (value, source) in props.get(row.buildsetid, {}).items():
            properties.setProperty(name, value, source)
        sources = stamps.get(row.buildsetid, {})
        requests.append(
            BuildRequest(
                id=row.id,
                bsid=row.buildsetid,
                builderid=row.builderid,
                buildername=builder_names[row.builderid],
                priority=row.priority or 0,
                submittedAt=row.submitted_at,
                reason=row.reason,
                waitedFor=bool(row.waited_for),
                properties=properties,
                sources={cb: dict(stamp) for cb, stamp in sources.items()},
                has_patch=any(stamp.get("patchid") for stamp in sources.values()),
            )
        )
    return requests


def _stamps(conn: sa.Connection, bsids: Iterable[int]) -> dict[int, dict[str, dict[str, Any]]]:
    wanted = list(bsids)
    found: dict[int, dict[str, dict[str, Any]]] = defaultdict(dict)
    if not wanted:
        return found
    query = (
        sa.select(
            bss.c.buildsetid,
            ss.c.id.label("ssid"),
            ss.c.branch,
            ss.c.revision,
            ss.c.repository,
            ss.c.project,
            ss.c.codebase,
            ss.c.patchid,
        )
        .select_from(bss.join(ss, ss.c.id == bss.c.sourcestampid))
        .where(bss.c.buildsetid.in_(wanted))
        .order_by(bss.c.id)
    )
    for row in conn.execute(query):
        stamp = {key: getattr(row, key) for key in STAMP_KEYS}
        stamp["patchid"] = row.patchid
        found[row.buildsetid][row.codebase] = stamp
    return found
