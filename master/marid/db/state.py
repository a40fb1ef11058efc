"""Object state: small JSON values that schedulers, pollers and other services keep across restarts.

An object is identified by ``(name, class_name)``; each has named values.
"""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from marid.db import model
from marid.db.base import Component, find_or_insert

objects = model.objects
state = model.object_state


class _Missing:
    """The default of ``get_state``: no default, raise ``KeyError``."""


MISSING: Any = _Missing()


class StateComponent(Component):
    async def get_object_id(self, name: str, class_name: str) -> int:
        def thd(conn: sa.Connection) -> int:
            key = {"name": name, "class_name": class_name}
            return find_or_insert(conn, objects, key, key)

        return await self.pool.run(thd)

    async def get_state(self, objectid: int, name: str, default: Any = MISSING) -> Any:
        """The stored value; ``default`` when there is none, or ``KeyError`` without a default."""

        def thd(conn: sa.Connection) -> str | None:
            q = sa.select(state.c.value_json).where(
                state.c.objectid == objectid, state.c.name == name
            )
            value: str | None = conn.execute(q).scalar()
            return value

        stored = await self.pool.read(thd)
        if stored is None:
            if default is MISSING:
                raise KeyError(f"no state {name!r} for object {objectid}")
            return default
        return json.loads(stored)

    async def set_state(self, objectid: int, name: str, value: Any) -> None:
        """Store ``value`` (anything JSON can encode) under ``name``."""
        encoded = json.dumps(value)

        def thd(conn: sa.Connection) -> None:
            cond = [state.c.objectid == objectid, state.c.name == name]
            if conn.execute(sa.select(state.c.name).where(*cond)).first() is not None:
                conn.execute(state.update().where(*cond).values(value_json=encoded))
                return
            try:
                with conn.begin_nested():
                    conn.execute(
                        state.insert().values(objectid=objectid, name=name, value_json=encoded)
                    )
            except sa.exc.IntegrityError:
                conn.execute(state.update().where(*cond).values(value_json=encoded))

        await self.pool.run(thd)
