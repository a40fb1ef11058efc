"""``DBConnector``: the engine, the thread pool and one component per entity group."""

from __future__ import annotations

from twisted.internet.interfaces import IReactorThreads

from marid.db.builders import BuildersComponent
from marid.db.buildrequests import BuildRequestsComponent
from marid.db.builds import BuildsComponent
from marid.db.buildsets import BuildsetsComponent
from marid.db.changes import ChangesComponent
from marid.db.changesources import ChangeSourcesComponent
from marid.db.engine import DEFAULT_TIMEOUT, make_engine
from marid.db.logs import LogsComponent
from marid.db.logsearch import LogSearchComponent
from marid.db.masters import MastersComponent
from marid.db.pool import DBThreadPool
from marid.db.schedulers import SchedulersComponent
from marid.db.sourcestamps import SourceStampsComponent
from marid.db.state import StateComponent
from marid.db.steps import StepsComponent
from marid.db.views import ViewsComponent
from marid.db.workers import WorkersComponent


class DBConnector:
    def __init__(
        self,
        url: str,
        reactor: IReactorThreads,
        *,
        basedir: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ):
        self.url = url
        self.engine = make_engine(url, basedir, timeout=timeout)
        self.pool = DBThreadPool(self.engine, reactor, timeout=timeout)
        self.masters = MastersComponent(self.pool)
        self.builders = BuildersComponent(self.pool)
        self.workers = WorkersComponent(self.pool)
        self.sourcestamps = SourceStampsComponent(self.pool)
        self.changes = ChangesComponent(self.pool)
        self.buildsets = BuildsetsComponent(self.pool)
        self.buildrequests = BuildRequestsComponent(self.pool)
        self.builds = BuildsComponent(self.pool)
        self.steps = StepsComponent(self.pool)
        self.logs = LogsComponent(self.pool)
        self.schedulers = SchedulersComponent(self.pool)
        self.changesources = ChangeSourcesComponent(self.pool)
        self.logsearch = LogSearchComponent(self.pool)
        self.views = ViewsComponent(self.pool)
        self.state = StateComponent(self.pool)

    def start(self) -> None:
        self.pool.start()

    def stop(self) -> None:
        self.pool.stop()

    async def check_schema(self) -> None:
        """Raise a ``SchemaError`` unless the database is at this Marid's head revision."""
        from marid.db.migrate import check_schema

        await self.pool.run_engine(check_schema)
