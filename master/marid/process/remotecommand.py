"""One command on a worker: start it, receive its update stream, wait for it to end.

The master gives the worker a ``RemoteCommand`` reference with
``startCommand``; the worker calls back ``update`` (lists of ``[{key: value},
0]`` pairs, possibly several keys per dict and several pairs per call) and
finally ``complete`` (``None`` or a failure). Facts the stream obeys:

- ``rc`` normally comes before ``complete``, but a trailing partial output line
  may arrive after ``rc`` (with ``"\\n"`` added); everything up to ``complete``
  belongs to the command;
- ``elapsed`` is not sent after an interrupt;
- text may arrive as bytes from older workers and is decoded here.

Output is passed on as it arrives through ``on_output(stream, text)``; when
``on_output`` returns a Deferred (the log store is behind), the answer to the
worker's ``update`` waits for it, which is how a worker that pauses on
unacknowledged output (``marid-worker``) is slowed to the master's pace. Only
small results (``rc``, ``stat``, ``files``, ``failure_reason``, ``elapsed``)
are kept. A lost connection ends the command with ``WorkerLostError``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from twisted.internet import defer
from twisted.logger import Logger
from twisted.spread import pb

log = Logger()

# Streams of a stdio log, with the one-letter prefix the log store uses.
STREAMS = {"stdout": "o", "stderr": "e", "header": "h"}

_ids = itertools.count(1)


class WorkerLostError(Exception):
    """The worker's connection went away while the command ran."""


class RemoteCommandError(Exception):
    """The worker refused or failed the command itself (not a non-zero exit)."""


class CommandConnection(Protocol):
    """What a command needs of a worker connection (``marid.workers.connection.Connection``)."""

    def start_command(
        self,
        builder_name: str,
        command_ref: pb.Referenceable,
        command_id: str,
        command_name: str,
        args: dict[str, Any],
    ) -> defer.Deferred[Any]: ...

    def interrupt_command(
        self, builder_name: str, command_id: str, why: str
    ) -> defer.Deferred[Any]: ...

    def notify_on_disconnect(self, callback: Callable[[], None]) -> Callable[[], None]: ...


@dataclass
class CommandResult:
    rc: int | None = None
    elapsed: float | None = None
    failure_reason: str | None = None
    stat: tuple[Any, ...] | None = None
    files: list[str] | None = None
    interrupted: bool = False
    # Any other keys the worker sent, last value wins.
    other: dict[str, Any] = field(default_factory=dict)

    @property
    def succeeded(self) -> bool:
        return self.rc == 0 and not self.interrupted


def _text(value: Any) -> Any:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return value


class RemoteCommand(pb.Referenceable):
    """Run with ``await RemoteCommand(name, args).run(conn, builder_name)``.

    ``on_output(stream, text)`` receives ``stdout``/``stderr``/``header`` text
    and, for ``logfiles``, ``("log:" + name, text)``.
    """

    def __init__(
        self,
        name: str,
        args: dict[str, Any],
        *,
        on_output: Callable[[str, str], object] | None = None,
    ):
        self.name = name
        self.args = args
        self.on_output = on_output
        self.command_id = str(next(_ids))
        self.result = CommandResult()
        self._done: defer.Deferred[CommandResult] | None = None
        self._conn: CommandConnection | None = None
        self._builder_name = ""

    async def run(self, conn: CommandConnection, builder_name: str) -> CommandResult:
        self._conn = conn
        self._builder_name = builder_name
        self._done = defer.Deferred()
        cancel_watch = conn.notify_on_disconnect(self._on_lost)
        try:
            try:
                await conn.start_command(builder_name, self, self.command_id, self.name, self.args)
            except pb.PBConnectionLost:
                raise WorkerLostError(f"worker lost while starting {self.name}") from None
            except (pb.Error, pb.RemoteError) as error:
                raise RemoteCommandError(str(error)) from None
            return await self._done
        finally:
            cancel_watch()

    async def interrupt(self, why: str) -> None:
        """Ask the worker to stop the command; it still ends through ``complete``."""
        if self._conn is None or self._done is None or self._done.called:
            return
        self.result.interrupted = True
        try:
            await self._conn.interrupt_command(self._builder_name, self.command_id, why)
        except (pb.Error, pb.RemoteError, pb.PBConnectionLost) as error:
            log.info("interrupting {name} failed: {error}", name=self.name, error=error)

    def abandon(self) -> None:
        """Stop waiting for the worker: the command ends now, as interrupted.

        For a builder the worker no longer serves: both ``marid-worker`` and
        ``buildbot-worker`` kill such a command without reporting its end.
        A ``complete`` that still arrives is ignored.
        """
        if self._done is None or self._done.called:
            return
        self.result.interrupted = True
        self._done.callback(self.result)

    # -- called by the worker ---------------------------------------------------

    def remote_update(self, updates: list[Any]) -> int | defer.Deferred[int]:
        highest = 0
        waits: list[defer.Deferred[Any]] = []
        for pair in updates:
            update, number = pair[0], pair[1]
            highest = max(highest, int(number or 0))
            for key, value in update.items():
                wait = self._update(_text(key), value)
                if isinstance(wait, defer.Deferred):
                    waits.append(wait)
        if not waits:
            return highest
        return defer.gatherResults(waits).addCallback(lambda _: highest)

    def remote_complete(self, failure: Any = None) -> None:
        if self._done is None or self._done.called:
            return
        if failure is not None:
            self._done.errback(RemoteCommandError(str(failure)))
        else:
            self._done.callback(self.result)

    # -- internals ----------------------------------------------------------------

    def _update(self, key: str, value: Any) -> object:
        if key in STREAMS:
            if self.on_output is not None:
                return self.on_output(key, _text(value))
        elif key == "log":
            name, text = value
            if self.on_output is not None:
                return self.on_output("log:" + _text(name), _text(text))
        elif key == "rc":
            self.result.rc = int(value)
        elif key == "elapsed":
            self.result.elapsed = float(value)
        elif key == "failure_reason":
            self.result.failure_reason = _text(value)
        elif key == "stat":
            self.result.stat = tuple(value)
        elif key == "files":
            self.result.files = [_text(f) for f in value]
        else:
            self.result.other[key] = value
        return None

    def _on_lost(self) -> None:
        if self._done is not None and not self._done.called:
            self._done.errback(WorkerLostError(f"worker lost during {self.name}"))
