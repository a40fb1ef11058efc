"""Builds: one run of a builder for a build request, with its properties and build data.

A build's ``number`` is one more than the builder's highest, computed in the
transaction that inserts it. Two masters may compute the same number; the
unique ``(builderid, number)`` constraint makes one insert fail, and it then
retries inside a savepoint with a fresh maximum. On MySQL the maximum is read
with a locking read, since a plain read there would keep seeing the
transaction's first snapshot.

Properties are JSON values with a source; ``property=`` on REST selects which
appear in each build, loaded in one query for the whole page.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, name_hash
from marid.db.query import Query, fetch_page

t = model.builds
bp = model.build_properties
bd = model.build_data

_NUMBER_ATTEMPTS = 10

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "buildid": t.c.id,
    "number": t.c.number,
    "builderid": t.c.builderid,
    "buildrequestid": t.c.buildrequestid,
    "workerid": t.c.workerid,
    "masterid": t.c.masterid,
    "started_at": t.c.started_at,
    "complete_at": t.c.complete_at,
    "complete": t.c.complete_at.is_not(None),
    "locks_duration_s": t.c.locks_duration_s,
    "state_string": t.c.state_string,
    "results": t.c.results,
}

EXTRA_FIELDS = ("properties",)


@dataclass
class BuildModel:
    buildid: int
    number: int
    builderid: int
    buildrequestid: int
    workerid: int | None
    masterid: int
    started_at: int
    complete_at: int | None
    complete: bool
    locks_duration_s: int
    state_string: str
    results: int | None
    properties: dict[str, list[Any]] = field(default_factory=dict)


@dataclass
class BuildDataModel:
    buildid: int
    name: str
    value: bytes | None  # None when only the metadata was asked for
    length: int
    source: str


def _model(row: sa.Row[Any]) -> BuildModel:
    return BuildModel(
        buildid=row.id,
        number=row.number,
        builderid=row.builderid,
        buildrequestid=row.buildrequestid,
        workerid=row.workerid,
        masterid=row.masterid,
        started_at=row.started_at,
        complete_at=row.complete_at,
        complete=row.complete_at is not None,
        locks_duration_s=row.locks_duration_s,
        state_string=row.state_string,
        results=row.results,
    )


def load_properties(
    conn: sa.Connection, buildids: Iterable[int], names: Sequence[str] = ("*",)
) -> dict[int, dict[str, list[Any]]]:
    """``{buildid: {name: [value, source]}}`` for many builds in one query; ``*`` means all."""
    wanted = sorted(set(buildids))
    found: dict[int, dict[str, list[Any]]] = defaultdict(dict)
    if not wanted or not names:
        return found
    q = sa.select(bp.c.buildid, bp.c.name, bp.c.value, bp.c.source).where(bp.c.buildid.in_(wanted))
    if "*" not in names:
        q = q.where(bp.c.name.in_(sorted(set(names))))
    for buildid, name, value, source in conn.execute(q.order_by(bp.c.buildid, bp.c.name)):
        found[buildid][name] = [json.loads(value), source]
    return found


def _upsert(
    conn: sa.Connection, table: sa.Table, key: Mapping[str, Any], values: Mapping[str, Any]
) -> None:
    """Update the row identified by ``key`` or insert it; a racing insert turns into an update."""
    cond = [table.c[k] == v for k, v in key.items()]
    if conn.execute(table.update().where(*cond).values(**values)).rowcount:
        return
    if conn.execute(sa.select(sa.literal(1)).select_from(table).where(*cond)).first() is not None:
        return  # MySQL reports 0 rows for an update that changed nothing
    try:
        with conn.begin_nested():
            conn.execute(table.insert().values(**key, **values))
    except sa.exc.IntegrityError:
        conn.execute(table.update().where(*cond).values(**values))


def _next_number(conn: sa.Connection, builderid: int) -> int:
    q = sa.select(t.c.number).where(t.c.builderid == builderid).order_by(t.c.number.desc()).limit(1)
    if conn.dialect.name == "mysql":
        q = q.with_for_update()
    current = conn.execute(q).scalar()
    return 1 if current is None else int(current) + 1


class BuildsComponent(Component):
    async def add_build(
        self,
        now: int,
        *,
        builderid: int,
        buildrequestid: int,
        workerid: int | None,
        masterid: int,
        state_string: str,
    ) -> tuple[int, int]:
        """Insert a started build; return ``(buildid, number)``."""

        def thd(conn: sa.Connection) -> tuple[int, int]:
            for attempt in range(_NUMBER_ATTEMPTS):
                number = _next_number(conn, builderid)
                try:
                    with conn.begin_nested():
                        result = conn.execute(
                            t.insert().values(
                                number=number,
                                builderid=builderid,
                                buildrequestid=buildrequestid,
                                workerid=workerid,
                                masterid=masterid,
                                started_at=now,
                                complete_at=None,
                                locks_duration_s=0,
                                state_string=state_string,
                                results=None,
                            )
                        )
                except sa.exc.IntegrityError:
                    if attempt == _NUMBER_ATTEMPTS - 1:
                        raise
                    continue
                key = result.inserted_primary_key
                assert key is not None  # every backend reports an inserted row's key
                return int(key[0]), number
            raise AssertionError("unreachable")

        return await self.pool.run(thd)

    async def set_build_state_string(self, buildid: int, state_string: str) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(t.update().where(t.c.id == buildid).values(state_string=state_string))

        await self.pool.run(thd)

    async def add_build_locks_duration(self, buildid: int, duration_s: int) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(
                t.update()
                .where(t.c.id == buildid)
                .values(locks_duration_s=t.c.locks_duration_s + duration_s)
            )

        await self.pool.run(thd)

    async def finish_build(self, buildid: int, results: int, now: int) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(
                t.update().where(t.c.id == buildid).values(results=results, complete_at=now)
            )

        await self.pool.run(thd)

    async def set_build_properties(
        self, buildid: int, properties: Mapping[str, tuple[Any, str]]
    ) -> dict[str, list[Any]]:
        """Write the properties that differ from the stored ones.

        Return the written ones as ``{name: [value, source]}``.
        """

        def thd(conn: sa.Connection) -> dict[str, list[Any]]:
            current = load_properties(conn, [buildid], sorted(properties)).get(buildid, {})
            changed: dict[str, list[Any]] = {}
            new_rows: list[dict[str, Any]] = []
            for name, (value, source) in properties.items():
                encoded = json.dumps(value)
                # Round-trip through JSON so that (1,) and [1] compare as stored.
                pair = [json.loads(encoded), source]
                if current.get(name) == pair:
                    continue
                changed[name] = pair
                if name in current:
                    _upsert(conn, bp, {"buildid": buildid, "name": name},
                            {"value": encoded, "source": source})  # fmt: skip
                else:
                    new_rows.append(
                        {"buildid": buildid, "name": name, "value": encoded, "source": source}
                    )
            if new_rows:
                # A build starts with a few dozen properties: one INSERT for all of them.
                try:
                    with conn.begin_nested():
                        conn.execute(bp.insert(), new_rows)
                except sa.exc.IntegrityError:  # another writer raced us: row by row
                    for row in new_rows:
                        _upsert(conn, bp, {"buildid": buildid, "name": row["name"]},
                                {"value": row["value"], "source": row["source"]})  # fmt: skip
            return changed

        return await self.pool.run(thd)

    async def add_build_data(self, buildid: int, name: str, value: bytes, source: str) -> None:
        def thd(conn: sa.Connection) -> None:
            _upsert(
                conn,
                bd,
                {"buildid": buildid, "name": name},
                {"value": value, "length": len(value), "source": source},
            )

        await self.pool.run(thd)

    async def get_build_data(self, buildid: int, name: str) -> BuildDataModel | None:
        def thd(conn: sa.Connection) -> BuildDataModel | None:
            row = conn.execute(
                sa.select(bd).where(bd.c.buildid == buildid, bd.c.name == name)
            ).first()
            if row is None:
                return None
            return BuildDataModel(row.buildid, row.name, bytes(row.value), row.length, row.source)

        return await self.pool.read(thd)

    async def get_build(
        self, buildid: int, *, properties: Sequence[str] = (), written: bool = False
    ) -> BuildModel | None:
        """The build, or None; ``written``: the master has just written it (``read_written``)."""

        def thd(conn: sa.Connection) -> BuildModel | None:
            row = conn.execute(sa.select(t).where(t.c.id == buildid)).first()
            if row is None:
                return None
            build = _model(row)
            build.properties = load_properties(conn, [buildid], properties).get(buildid, {})
            return build

        return await (self.pool.read_written if written else self.pool.read)(thd)

    async def find_build_id(
        self, *, builderid: int | None = None, buildername: str | None = None, number: int
    ) -> int | None:
        """The id of a builder's build ``number``, the builder named by id or by name."""

        def thd(conn: sa.Connection) -> int | None:
            q = sa.select(t.c.id).where(t.c.number == number)
            if builderid is not None:
                q = q.where(t.c.builderid == builderid)
            elif buildername is not None:
                q = q.join(model.builders, model.builders.c.id == t.c.builderid).where(
                    model.builders.c.name_hash == name_hash(buildername)
                )
            else:
                return None
            found = conn.execute(q).scalar()
            return None if found is None else int(found)

        return await self.pool.read(thd)

    async def get_builds(
        self,
        query: Query,
        *,
        where: Mapping[str, Any] | None = None,
        properties: Sequence[str] = (),
    ) -> tuple[list[BuildModel], int]:
        """A page of builds; ``where`` restricts fields to values (path arguments)."""

        def thd(conn: sa.Connection) -> tuple[list[BuildModel], int]:
            base = sa.select(t).where(*(FIELDS[k] == v for k, v in (where or {}).items()))
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            builds = [_model(r) for r in rows]
            props = load_properties(conn, [b.buildid for b in builds], properties)
            for build in builds:
                build.properties = props.get(build.buildid, {})
            return builds, total

        return await self.pool.read(thd)

    async def get_build_properties(self, buildid: int) -> dict[str, list[Any]] | None:
        """``{name: [value, source]}``, or None when the build does not exist."""

        def thd(conn: sa.Connection) -> dict[str, list[Any]] | None:
            if conn.execute(sa.select(t.c.id).where(t.c.id == buildid)).first() is None:
                return None
            return load_properties(conn, [buildid]).get(buildid, {})

        return await self.pool.read(thd)
