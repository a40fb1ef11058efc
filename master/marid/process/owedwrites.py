"""``OwedWrites``: writes the master owes the database, retried while it is unavailable.

A build must record its end (its steps' ends, its logs' completion, its result,
its requests) even when the database cannot take it right now: the disk is
full, or a lock is held past ``c['db']['timeout']``. Each such write goes
through ``OwedWrites.write``, which calls it and, while it fails with
``DatabaseUnavailable``, waits and calls it again: 1 s, then twice as long
each time, up to ``MAX_DELAY``. The waits are timers on the injected clock;
no database thread is held meanwhile, so reads and other writes go on.

Lifecycle: the botmaster owns one, for all builds. ``stop()`` (the master is
stopping) makes every write that is waiting, and every later one, fail with
the last ``DatabaseUnavailable`` at once: a stop never waits for the
database to come back. A build whose end could not be written then stays
unfinished in the database and is recovered at the next start.

Only the reactor thread calls it. Other errors are raised at once: they are
not the database's unavailability, and retrying would not help.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, TypeVar

from twisted.internet import defer, task
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from marid.db.errors import DatabaseUnavailable

T = TypeVar("T")

log = Logger()

FIRST_DELAY = 1.0
MAX_DELAY = 60.0


class OwedWrites:
    """Retries writes that failed with ``DatabaseUnavailable``, with backoff, until stopped."""

    def __init__(
        self, clock: IReactorTime, *, first_delay: float = FIRST_DELAY, max_delay: float = MAX_DELAY
    ) -> None:
        self._clock = clock
        self._first_delay = first_delay
        self._max_delay = max_delay
        self._waits: set[defer.Deferred[None]] = set()
        self.stopped = False

    @property
    def waiting(self) -> int:
        """How many writes are waiting for their next attempt."""
        return len(self._waits)

    async def write(self, what: str, fn: Callable[[], Awaitable[T]]) -> T:
        """``await fn()``, again after a delay while it raises ``DatabaseUnavailable``."""
        delay = self._first_delay
        while True:
            try:
                return await fn()
            except DatabaseUnavailable as error:
                if self.stopped:
                    raise
                log.warn(
                    "could not {what}: {reason}; trying again in {delay:g} s",
                    what=what,
                    reason=error.reason,
                    delay=delay,
                )
                wait: defer.Deferred[None] = task.deferLater(self._clock, delay, lambda: None)
                self._waits.add(wait)
                try:
                    await wait
                except defer.CancelledError:
                    raise error from None
                finally:
                    self._waits.discard(wait)
                delay = min(delay * 2, self._max_delay)

    def stop(self) -> None:
        """Give up: waiting writes fail now with their last error, later ones at once."""
        self.stopped = True
        for wait in list(self._waits):
            wait.cancel()


class LogStore(Protocol):
    """What a build's logs write to: ``data.logs``."""

    async def add_log(self, stepid: int, name: str, type: str) -> int: ...
    async def append_log(self, logid: int, content: str) -> tuple[int, int]: ...
    async def finish_log(self, logid: int) -> None: ...


class OwedLogStore:
    """``data.logs`` for one build: a log's end is an owed write; lost lines are reported.

    Lines that cannot be stored are not kept for a retry (a build may print
    far more than the master can hold); ``on_lost`` is told instead, once per
    failure, and the build ends with that reason.
    """

    def __init__(
        self, logs: LogStore, owed: OwedWrites, on_lost: Callable[[DatabaseUnavailable], None]
    ) -> None:
        self._logs = logs
        self._owed = owed
        self._on_lost = on_lost

    async def add_log(self, stepid: int, name: str, type: str) -> int:
        return await self._logs.add_log(stepid, name, type)

    async def append_log(self, logid: int, content: str) -> tuple[int, int]:
        try:
            return await self._logs.append_log(logid, content)
        except DatabaseUnavailable as error:
            self._on_lost(error)
            raise

    async def finish_log(self, logid: int) -> None:
        await self._owed.write(f"finish log {logid}", lambda: self._logs.finish_log(logid))
