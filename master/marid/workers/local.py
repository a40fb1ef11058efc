"""Local workers: a ``marid_worker`` Bot inside the master process, with no socket.

``LocalWorkerRunner`` makes the Bot (``marid_worker.bot.Bot``, imported only
when a config has a ``LocalWorker``), logs it in to the master's own PB factory
over an in-memory transport pair with the per-process secret, and holds the
session. It is attached like any other worker, so builds cannot tell the
difference. If the link drops (a ``kill`` control, say) it logs in again
after ``RETRY_DELAY`` seconds, as a worker daemon would.
"""

from __future__ import annotations

import importlib
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from marid.workers.errors import WorkerError
from marid.workers.protocol.pb import MemorySession, WorkerServerFactory, login_in_memory

log = Logger()

RETRY_DELAY = 1.0

BotFactory = Callable[[str, str, Any, Callable[[], None]], Any]
"""``make_bot(name, basedir, reactor, on_shutdown)``: the worker's Bot, a ``pb.Referenceable``.

``on_shutdown`` is what the Bot calls when the master tells it to shut down."""


def default_bot(name: str, basedir: str, reactor: Any, on_shutdown: Callable[[], None]) -> Any:
    """The real worker's Bot (``marid_worker.bot.Bot``), rooted at ``basedir``."""
    try:
        # Imported by name: the worker package is optional for a master.
        bot_module: Any = importlib.import_module("marid_worker.bot")
    except ImportError as error:
        raise WorkerError(
            f"LocalWorker {name!r} needs the marid_worker package (marid_worker.bot): {error}"
        ) from error
    os.makedirs(basedir, exist_ok=True)
    return bot_module.Bot(Path(basedir), reactor, on_shutdown=on_shutdown)


class LocalWorkerRunner:
    """Keeps one in-process worker logged in while it is configured."""

    def __init__(
        self,
        clock: IReactorTime,
        factory: WorkerServerFactory,
        *,
        name: str,
        secret: bytes,
        basedir: str,
        make_bot: BotFactory = default_bot,
    ) -> None:
        self._clock = clock
        self._factory = factory
        self.name = name
        self._secret = secret
        self.basedir = basedir
        self._make_bot = make_bot
        self._bot: Any = None
        self._session: MemorySession | None = None
        self._retry: IDelayedCall | None = None
        self._login: defer.Deferred[None] | None = None
        self._running = False

    @property
    def session(self) -> MemorySession | None:
        return self._session

    def start(self) -> None:
        """Log in, and keep logging in again until ``stop`` or a shutdown from the master."""
        if self._running:
            return
        self._running = True
        self._connect()

    def _connect(self) -> None:
        self._retry = None
        if self._running and self._login is None:
            self._login = defer.Deferred.fromCoroutine(self._log_in())

    async def _log_in(self) -> None:
        try:
            if self._bot is None:
                self._bot = self._make_bot(self.name, self.basedir, self._clock, self._shut_down)
            session = await login_in_memory(
                self._clock, self._factory, self.name, self._secret, self._bot
            )
        except Exception as error:
            log.warn("local worker {name} could not log in: {error}", name=self.name, error=error)
            self._login = None
            self._schedule_retry()
            return
        self._login = None
        if not self._running:
            session.close()
            return
        self._session = session
        session.notify_on_disconnect(self._lost)

    def _lost(self) -> None:
        self._session = None
        # As a worker daemon does: commands of a lost connection have nowhere to report.
        connection_lost = getattr(self._bot, "connection_lost", None)
        if connection_lost is not None:
            connection_lost()
        self._schedule_retry()

    def _shut_down(self) -> None:
        """The master told the worker to shut down: stay down until started again."""
        log.info("local worker {name} shut down on the master's request", name=self.name)
        self._running = False
        if self._session is not None:
            self._session.close()

    def _schedule_retry(self) -> None:
        if self._running and self._retry is None:
            self._retry = self._clock.callLater(RETRY_DELAY, self._connect)

    async def stop(self) -> None:
        self._running = False
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
        if self._login is not None:
            await self._login
        if self._session is not None:
            session, self._session = self._session, None
            session.close()
        for method in ("connection_lost", "wait_idle"):
            call = getattr(self._bot, method, None)
            if call is not None:
                await defer.maybeDeferred(call)
