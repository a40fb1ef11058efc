"""Keeping the worker connected to its master: login, keepalives, reconnection with backoff.

:class:`Connector` is a small state machine::

    STOPPED --start--> CONNECTING --login ok--> CONNECTED --connection lost--> WAITING
                           |  ^                                                  |
        refused, no route  |  +------------------- delay elapsed --------------+
        or bad password    v                                                     |
                        WAITING --(more than maxretries failures in a row)--> GAVE_UP
    any state --stop--> STOPPED

After the n-th failed attempt in a row it waits ``initial_delay * factor**(n-1)``
seconds, capped at ``maxdelay``, with ±10% jitter so that workers of a
restarted master do not all come back at the same instant. After a lost
connection it reconnects after about ``initial_delay``. While connected it
calls ``perspective.keepalive()`` every ``keepalive`` seconds (0: never); a
keepalive still unanswered when the next one is due means the master is
unreachable, and the connection is dropped so that a new one can be made.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from enum import Enum
from typing import Any

from twisted.internet.defer import CancelledError, Deferred
from twisted.internet.interfaces import IDelayedCall, IStreamClientEndpoint
from twisted.logger import Logger

from marid_worker.bot import Bot
from marid_worker.reactors import Clock, sleep
from marid_worker.wire import (
    DEFAULT_MAX_REFERENCES,
    Session,
    UnauthorizedLogin,
    call,
    connect,
    is_connection_error,
)

log = Logger()


class State(Enum):
    STOPPED = "stopped"
    CONNECTING = "connecting"
    CONNECTED = "connected"
    WAITING = "waiting"
    GAVE_UP = "gave up"


class Connector:
    def __init__(
        self,
        clock: Clock,
        endpoint: IStreamClientEndpoint,
        name: str,
        password: str,
        bot: Bot,
        *,
        keepalive: float = 600,
        maxdelay: float = 300,
        maxretries: int | None = None,
        initial_delay: float = 1.0,
        factor: float = 2.0,
        jitter: Callable[[], float] = random.random,
        max_references: int = DEFAULT_MAX_REFERENCES,
    ):
        self._clock = clock
        self._endpoint = endpoint
        self._name = name
        self._password = password
        self._bot = bot
        self._keepalive = keepalive
        self._maxdelay = maxdelay
        self._maxretries = maxretries
        self._initial_delay = initial_delay
        self._factor = factor
        self._jitter = jitter
        self._max_references = max_references
        self.state = State.STOPPED
        self.failures = 0
        self.session: Session | None = None
        self.on_gave_up: Callable[[], None] | None = None
        self._loop: Deferred[None] | None = None
        self._step: Deferred[Any] | None = None
        self._keepalive_timer: IDelayedCall | None = None
        self._keepalive_pending = False

    def start(self) -> None:
        if self._loop is None:
            self.state = State.CONNECTING
            self._loop = Deferred.fromCoroutine(self._run())

    async def stop(self) -> None:
        """Disconnect and stop reconnecting."""
        loop, self._loop = self._loop, None
        self.state = State.STOPPED
        if self.session is not None:
            self.session.disconnect()
        if self._step is not None:
            self._step.cancel()
        if loop is not None:
            await loop

    @property
    def stopped(self) -> bool:
        """True once :meth:`stop` was called (it changes the state from outside the loop)."""
        return self.state is State.STOPPED

    def next_delay(self) -> float:
        """Seconds to wait before the next attempt, from the failures so far."""
        if self.failures == 0:
            base = self._initial_delay
        else:
            base = min(self._maxdelay, self._initial_delay * self._factor ** (self.failures - 1))
        return min(self._maxdelay, base * (0.9 + 0.2 * self._jitter()))

    async def _run(self) -> None:
        while not self.stopped:
            self.state = State.CONNECTING
            session = await self._attempt()
            if self.stopped:
                if session is not None:
                    session.disconnect()
                break
            if session is None:
                self.failures += 1
                if self._maxretries is not None and self.failures > self._maxretries:
                    log.error(
                        "giving up after {count} failed connection attempts (--maxretries {max})",
                        count=self.failures,
                        max=self._maxretries,
                    )
                    self.state = State.GAVE_UP
                    if self.on_gave_up is not None:
                        self.on_gave_up()
                    return
            else:
                self.failures = 0
                await self._serve(session)
                if self.stopped:
                    break
            self.state = State.WAITING
            delay = self.next_delay()
            log.info("reconnecting in {delay:.1f} seconds", delay=delay)
            try:
                await self._wait(sleep(self._clock, delay))
            except CancelledError:
                break

    async def _wait(self, step: Deferred[Any]) -> Any:
        """Await ``step`` so that :meth:`stop` can cancel it (CancelledError)."""
        self._step = step
        try:
            return await step
        finally:
            self._step = None

    async def _attempt(self) -> Session | None:
        log.info("connecting to the master as {name}", name=self._name)
        attempt = Deferred.fromCoroutine(
            connect(
                self._endpoint,
                self._name,
                self._password,
                self._bot,
                max_references=self._max_references,
            )
        )
        try:
            session: Session = await self._wait(attempt)
        except CancelledError:
            return None
        except UnauthorizedLogin:
            log.error(
                "the master refused the login of worker {name}: wrong name or password",
                name=self._name,
            )
        except Exception as error:
            log.info("could not connect to the master: {error}", error=error)
        else:
            return session
        return None

    async def _serve(self, session: Session) -> None:
        self.session = session
        self.state = State.CONNECTED
        log.info("connected to the master; logged in as {name}", name=self._name)
        lost: Deferred[None] = Deferred()
        session.on_disconnect(lambda: lost.callback(None))
        self._schedule_keepalive()
        await lost
        if self._keepalive_timer is not None and self._keepalive_timer.active():
            self._keepalive_timer.cancel()
        self._keepalive_timer = None
        self._keepalive_pending = False
        self.session = None
        log.info("lost the connection to the master")
        self._bot.connection_lost()

    def _schedule_keepalive(self) -> None:
        if self._keepalive > 0:
            self._keepalive_timer = self._clock.callLater(self._keepalive, self._send_keepalive)

    def _send_keepalive(self) -> None:
        session = self.session
        if session is None:
            return
        if self._keepalive_pending:
            log.warn(
                "the master did not answer a keepalive within {seconds} seconds; reconnecting",
                seconds=self._keepalive,
            )
            session.abort()
            return
        self._keepalive_pending = True
        answered = Deferred.fromCoroutine(call(session.perspective, "keepalive"))

        def done(result: object) -> None:
            self._keepalive_pending = False

        def failed(failure: Any) -> None:
            self._keepalive_pending = False
            if not is_connection_error(failure.value):
                log.info("keepalive failed: {error}", error=failure.value)

        answered.addCallbacks(done, failed)
        self._schedule_keepalive()

    async def request_shutdown(self) -> bool:
        """Ask the master for a graceful shutdown; False when that was not possible."""
        session = self.session
        if session is None:
            return False
        try:
            await call(session.perspective, "shutdown")
        except Exception as error:
            log.warn("the master did not accept the shutdown request: {error}", error=error)
            return False
        log.info("asked the master for a graceful shutdown; it stops this worker once idle")
        return True
