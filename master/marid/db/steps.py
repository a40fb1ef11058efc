"""Steps: the numbered, uniquely named steps of a build, with their timing, results and URLs.

Step numbers start at 0 in each build. Names are unique within a build: a
clashing name gets ``_1``, ``_2``... appended (the base shortened to keep the
50-character limit). ``find_step_id`` resolves every REST form of a step's
path (by id, by build id, or by builder and build number; by step number or
name) in one query.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, name_hash
from marid.db.query import Query, fetch_page

t = model.steps
builds = model.builds

NAME_LENGTH = 50
_ATTEMPTS = 10

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "stepid": t.c.id,
    "number": t.c.number,
    "name": t.c.name,
    "buildid": t.c.buildid,
    "started_at": t.c.started_at,
    "locks_acquired_at": t.c.locks_acquired_at,
    "complete_at": t.c.complete_at,
    "complete": t.c.complete_at.is_not(None),
    "state_string": t.c.state_string,
    "results": t.c.results,
    "hidden": t.c.hidden != 0,
}

EXTRA_FIELDS = ("urls",)


@dataclass
class StepModel:
    stepid: int
    number: int
    name: str
    buildid: int
    started_at: int | None
    locks_acquired_at: int | None
    complete_at: int | None
    complete: bool
    state_string: str
    results: int | None
    hidden: bool
    urls: list[dict[str, str]] = field(default_factory=list)


def _model(row: sa.Row[Any]) -> StepModel:
    return StepModel(
        stepid=row.id,
        number=row.number,
        name=row.name,
        buildid=row.buildid,
        started_at=row.started_at,
        locks_acquired_at=row.locks_acquired_at,
        complete_at=row.complete_at,
        complete=row.complete_at is not None,
        state_string=row.state_string,
        results=row.results,
        hidden=bool(row.hidden),
        urls=json.loads(row.urls_json),
    )


def unique_name(name: str, taken: set[str]) -> str:
    """``name`` (cut to the column's length), or ``name_N`` with the smallest free N."""
    candidate = name[:NAME_LENGTH]
    suffix = 0
    while candidate in taken:
        suffix += 1
        tail = f"_{suffix}"
        candidate = name[: NAME_LENGTH - len(tail)] + tail
    return candidate


def step_locator(
    *,
    stepid: int | None = None,
    buildid: int | None = None,
    builderid: int | None = None,
    buildername: str | None = None,
    build_number: int | None = None,
    step_number: int | None = None,
    step_name: str | None = None,
) -> sa.Select[Any] | None:
    """``SELECT steps.id`` for one REST path's arguments, or None if they do not name a step."""
    q = sa.select(t.c.id)
    if stepid is not None:
        return q.where(t.c.id == stepid)
    if step_number is None and step_name is None:
        return None
    q = (
        q.where(t.c.number == step_number)
        if step_number is not None
        else q.where(t.c.name == step_name)
    )
    if buildid is not None:
        return q.where(t.c.buildid == buildid)
    if build_number is None:
        return None
    q = q.join(builds, builds.c.id == t.c.buildid).where(builds.c.number == build_number)
    if builderid is not None:
        return q.where(builds.c.builderid == builderid)
    if buildername is not None:
        return q.join(model.builders, model.builders.c.id == builds.c.builderid).where(
            model.builders.c.name_hash == name_hash(buildername)
        )
    return None


class StepsComponent(Component):
    async def add_step(self, buildid: int, name: str, state_string: str) -> tuple[int, int, str]:
        """Insert a step at the end of the build; return ``(stepid, number, name)``."""

        def thd(conn: sa.Connection) -> tuple[int, int, str]:
            for attempt in range(_ATTEMPTS):
                rows = conn.execute(
                    sa.select(t.c.number, t.c.name).where(t.c.buildid == buildid)
                ).all()
                number = max((r.number for r in rows), default=-1) + 1
                unique = unique_name(name, {r.name for r in rows})
                try:
                    with conn.begin_nested():
                        result = conn.execute(
                            t.insert().values(
                                number=number,
                                name=unique,
                                buildid=buildid,
                                started_at=None,
                                locks_acquired_at=None,
                                complete_at=None,
                                state_string=state_string,
                                results=None,
                                urls_json="[]",
                                hidden=0,
                            )
                        )
                except sa.exc.IntegrityError:
                    if attempt == _ATTEMPTS - 1:
                        raise
                    continue
                key = result.inserted_primary_key
                assert key is not None  # every backend reports an inserted row's key
                return int(key[0]), number, unique
            raise AssertionError("unreachable")

        return await self.pool.run(thd)

    async def _update(self, stepid: int, **values: Any) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(t.update().where(t.c.id == stepid).values(**values))

        await self.pool.run(thd)

    async def start_step(self, stepid: int, now: int, *, locks_acquired: bool = False) -> None:
        values: dict[str, Any] = {"started_at": now}
        if locks_acquired:
            values["locks_acquired_at"] = now
        await self._update(stepid, **values)

    async def set_step_locks_acquired_at(self, stepid: int, now: int) -> None:
        await self._update(stepid, locks_acquired_at=now)

    async def set_step_state_string(self, stepid: int, state_string: str) -> None:
        await self._update(stepid, state_string=state_string)

    async def set_step_hidden(self, stepid: int, hidden: bool) -> None:
        await self._update(stepid, hidden=int(hidden))

    async def finish_step(
        self, stepid: int, results: int, now: int, *, hidden: bool = False
    ) -> None:
        await self._update(stepid, results=results, complete_at=now, hidden=int(hidden))

    async def add_step_url(self, stepid: int, name: str, url: str) -> bool:
        """Append ``{name, url}`` to the step's URLs unless present; True if it was added."""

        def thd(conn: sa.Connection) -> bool:
            q = sa.select(t.c.urls_json).where(t.c.id == stepid)
            if conn.dialect.name != "sqlite":
                q = q.with_for_update()
            current = conn.execute(q).scalar()
            if current is None:
                return False
            urls: list[dict[str, str]] = json.loads(current)
            entry = {"name": name, "url": url}
            if entry in urls:
                return False
            urls.append(entry)
            conn.execute(t.update().where(t.c.id == stepid).values(urls_json=json.dumps(urls)))
            return True

        return await self.pool.run(thd)

    async def find_step_id(self, **locator: Any) -> int | None:
        """The id of the step named by path arguments (see ``step_locator``), or None."""
        q = step_locator(**locator)
        if q is None:
            return None

        def thd(conn: sa.Connection) -> int | None:
            found = conn.execute(q).scalar()
            return None if found is None else int(found)

        return await self.pool.read(thd)

    async def get_step(self, stepid: int, *, written: bool = False) -> StepModel | None:
        """The step, or None; ``written``: the master has just written it (``read_written``)."""

        def thd(conn: sa.Connection) -> StepModel | None:
            row = conn.execute(sa.select(t).where(t.c.id == stepid)).first()
            return _model(row) if row else None

        return await (self.pool.read_written if written else self.pool.read)(thd)

    async def get_steps(self, query: Query, *, buildid: int) -> tuple[list[StepModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[StepModel], int]:
            base = sa.select(t).where(t.c.buildid == buildid)
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.number])
            return [_model(r) for r in rows], total

        return await self.pool.read(thd)
