"""The logs of one build: opening them, routing command output to them, finishing them.

``BuildLogs`` creates each ``StepLog`` with the build's secrets (the set that
``redact`` reads, so secrets rendered later in the build are redacted too)
and the master's size limits, and keeps every log of a step so the step's end
can finish them all. A log opened lazily (``lazylogfiles``) exists as a
``StepLog`` at once and gets its database row in the background; lines that
arrive meanwhile wait in its queue.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from twisted.internet import defer
from twisted.internet.interfaces import IReactorTime
from twisted.logger import Logger

from marid.process.steplog import LogLimits, LogSink, StepLog

if TYPE_CHECKING:
    from marid.process.buildstep import BuildStep

log = Logger()

OutputCallback = Callable[[str, str], object]


class LogData(LogSink, Protocol):
    """``data.logs``: creating logs besides appending to them."""

    async def add_log(self, stepid: int, name: str, type: str) -> int: ...


class OutputRouter:
    """``on_output`` for one command: stdio streams to one log, ``log:X`` to log X."""

    def __init__(
        self,
        owner: BuildLogs,
        step: BuildStep,
        stdio: StepLog | None,
        logs: Mapping[str, StepLog],
        extra: OutputCallback | None,
    ) -> None:
        self._owner = owner
        self._step = step
        self._stdio = stdio
        self._logs = dict(logs)
        self._extra = extra

    def write(self, stream: str, text: str) -> defer.Deferred[None] | None:
        """Route ``text``; a Deferred means "the log is behind: answer the worker later"."""
        if self._extra is not None:
            self._extra(stream, text)
        if stream.startswith("log:"):
            name = stream[4:]
            target = self._logs.get(name)
            if target is None:
                target = self._logs[name] = self._owner.open_lazy(self._step, name)
        elif self._stdio is not None:
            target = self._stdio
        else:
            return None
        target.add_stream("stdout" if stream.startswith("log:") else stream, text)
        return target.room()

    async def flush(self) -> None:
        for target in (self._stdio, *self._logs.values()):
            if target is not None:
                await target.flush()


class BuildLogs:
    """Opens and finishes the logs of one build's steps."""

    def __init__(
        self,
        data: LogData,
        clock: IReactorTime,
        secrets: Collection[str],
        limits: LogLimits | None = None,
    ) -> None:
        self._data = data
        self._clock = clock
        self._secrets = secrets
        self._limits = limits or LogLimits()
        self._opening: list[defer.Deferred[None]] = []

    def _new(self, step: BuildStep, name: str, type: str) -> StepLog:
        steplog = StepLog(name, type, self._data, self._clock, self._secrets, self._limits)
        step._logs[name] = steplog
        return steplog

    async def open(self, step: BuildStep, name: str, type: str = "s") -> StepLog:
        """A new log of ``step``, with its database row."""
        steplog = self._new(step, name, type)
        steplog.opened(await self._data.add_log(step.stepid, name, type))
        return steplog

    def open_lazy(self, step: BuildStep, name: str, type: str = "s") -> StepLog:
        """A new log of ``step`` usable at once; its row is made in the background."""
        steplog = self._new(step, name, type)

        async def create() -> None:
            try:
                steplog.opened(await self._data.add_log(step.stepid, name, type))
            except Exception:
                log.failure("could not create log {name}", name=name)
                steplog.open_failed()

        self._opening.append(defer.Deferred.fromCoroutine(create()))
        return steplog

    async def router(
        self,
        step: BuildStep,
        stdio: StepLog | None,
        logfiles: Mapping[str, Any],
        extra: OutputCallback | None,
    ) -> OutputRouter:
        """The output router for one command; opens the stdio log and non-lazy logfiles."""
        if stdio is None:
            stdio = step._logs.get("stdio") or await self.open(step, "stdio")
        logs: dict[str, StepLog] = {}
        for name in logfiles:
            existing = step._logs.get(name)
            if existing is not None:
                logs[name] = existing
            elif not step.lazylogfiles:
                logs[name] = await self.open(step, name)
        return OutputRouter(self, step, stdio, logs, extra)

    async def finish_step(self, step: BuildStep) -> None:
        """Finish every log ``step`` opened (after lazily opened ones have their rows)."""
        opening, self._opening = self._opening, []
        if opening:
            await defer.DeferredList(opening)
        for steplog in list(step._logs.values()):
            await steplog.finish()
