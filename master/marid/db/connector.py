"""``DBConnector``: the engine, the thread pool and one component per entity group."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorThreads

from marid.db.builders import BuildersComponent
from marid.db.engine import make_engine
from marid.db.masters import MastersComponent
from marid.db.pool import DBThreadPool
from marid.db.workers import WorkersComponent


class DBConnector:
    def __init__(self, url: str, reactor: IReactorThreads, *, basedir: str | None = None):
        self.url = url
        self.engine = make_engine(url, basedir)
        self.pool = DBThreadPool(self.engine, reactor)
        self.masters = MastersComponent(self.pool)
        self.builders = BuildersComponent(self.pool)
        self.workers = WorkersComponent(self.pool)

    def start(self) -> None:
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop()

    async def check_schema(self) -> None:
        """Raise a ``SchemaError`` unless the database is at this Marid's head revision."""
        from marid.db.migrate import check_schema

        await self.pool.run_engine(check_schema)
