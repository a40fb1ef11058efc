"""Typed views of the reactor, so that every part of the worker receives it as a parameter.

The worker never imports the global reactor outside ``marid_worker.scripts``.
Timers take a :class:`Clock` (``task.Clock`` in tests); code that watches file
descriptors (child processes) takes a :class:`ProcessReactor`, which the real
reactor and ``MemoryReactorClock`` satisfy.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IDelayedCall

__all__ = ["Clock", "ProcessReactor", "sleep"]


class Clock(Protocol):
    """Time and timers: what ``task.Clock`` and the reactor share."""

    def seconds(self) -> float: ...

    def callLater(
        self, delay: float, callable: Callable[..., object], *args: object, **kw: object
    ) -> IDelayedCall: ...


class ProcessReactor(Clock, Protocol):
    """A :class:`Clock` that also watches file descriptors (pipes of child processes)."""

    def addReader(self, reader: Any) -> None: ...

    def removeReader(self, reader: Any) -> None: ...

    def addWriter(self, writer: Any) -> None: ...

    def removeWriter(self, writer: Any) -> None: ...


def sleep(clock: Clock, seconds: float) -> Deferred[None]:
    """A Deferred that fires ``seconds`` later on ``clock``; cancelling it cancels the timer."""

    def cancel(_: Deferred[None]) -> None:
        if timer.active():
            timer.cancel()

    done: Deferred[None] = Deferred(cancel)
    timer = clock.callLater(seconds, done.callback, None)
    return done
