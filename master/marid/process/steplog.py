"""Writing a step's logs: whole lines, stream prefixes, batching, limits and redaction.

``StepLog`` takes text as the worker sends it (pieces of lines, per stream),
keeps the unfinished last line of each stream aside, prefixes each complete
stdio line with its stream letter (``o`` stdout, ``e`` stderr, ``h`` header;
text and HTML logs have none) and queues it. The queue is written with one
``append_log`` when it reaches ``BATCH_BYTES`` or ``BATCH_SECONDS`` after its
first line, whichever comes first; only one append per log is in flight, so
lines are stored in order, and whatever arrived meanwhile goes in the next one
(a slow database gets bigger, fewer appends). The work per update on the
reactor is one ``rfind``; prefixing is one ``str.replace`` per batch; splitting
into chunks and compressing happen in the database thread.

``redact`` is the one redaction point: every text a build stores (log lines,
state strings) goes through it, replacing each value in the build's
``props.secrets_used`` with ``<secret>``. It runs on whole lines just before
storing, so a secret cannot straddle two batches.

Backpressure: ``room()`` gives a Deferred while more than ``BACKLOG_HIGH`` is
queued, fired once the writer has taken the queue; the output router returns
it to ``RemoteCommand``, which then holds back its answer to the worker, so the
master's memory stays bounded when output arrives faster than it is stored.

Text the database cannot store (``DatabaseUnavailable``) is dropped and
counted in ``lost_bytes``, with one warning per log; the build is told through
its log store (see ``owedwrites.OwedLogStore``).

Limits: ``logMaxSize`` bytes are stored from the start of a log; past that, only
the last ``logMaxTailSize`` bytes (whole lines) are kept and added at the end
after a header line saying how much was dropped.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Collection
from dataclasses import dataclass
from typing import Protocol

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from marid.db.errors import DatabaseUnavailable

log = Logger()

BATCH_BYTES = 64 * 1024
BATCH_SECONDS = 0.5
MAX_APPEND = 1024 * 1024
"""At most this much text goes into one ``append_log``, so no write holds more."""
BACKLOG_HIGH = 2 * 1024 * 1024
"""Queued text above which ``room()`` asks the worker to wait (see RemoteCommand)."""
MAX_PARTIAL = 256 * 1024
"""A line longer than this is cut, so an endless line cannot hold memory."""

SECRET_MARK = "<secret>"
STREAM_PREFIX = {"stdout": "o", "stderr": "e", "header": "h"}


def redact(text: str, secrets: Collection[str]) -> str:
    """``text`` with every secret value replaced by ``<secret>`` (longest first)."""
    if not secrets:
        return text
    for secret in sorted(secrets, key=len, reverse=True):
        if secret and secret in text:
            text = text.replace(secret, SECRET_MARK)
    return text


class LogSink(Protocol):
    """Where logs are stored: the data API's ``logs`` resource."""

    async def append_log(self, logid: int, content: str) -> tuple[int, int]: ...
    async def finish_log(self, logid: int) -> None: ...


@dataclass(frozen=True)
class LogLimits:
    max_size: int | None = None
    tail_size: int | None = None


class StepLog:
    """One log of a step; the ``add_*`` calls never block and never fail."""

    def __init__(
        self,
        name: str,
        type: str,
        sink: LogSink,
        clock: IReactorTime,
        secrets: Collection[str],
        limits: LogLimits | None = None,
    ) -> None:
        self.name = name
        self.type = type
        self.logid: int | None = None
        self.finished = False
        self.stored_bytes = 0
        self.dropped_bytes = 0
        self.lost_bytes = 0  # text the database could not store
        self._no_row = False
        self._sink = sink
        self._clock = clock
        self._secrets = secrets
        self._limits = limits or LogLimits()
        self._partial: dict[str, str] = {}
        self._pending: list[str] = []
        self._pending_size = 0
        self._tail: deque[str] = deque()
        self._tail_size = 0
        self._timer: IDelayedCall | None = None
        self._drain: defer.Deferred[None] | None = None
        self._opened: defer.Deferred[int] = defer.Deferred()
        self._room_waiters: list[defer.Deferred[None]] = []

    def opened(self, logid: int) -> None:
        """The log row exists: queued lines may be written."""
        self.logid = logid
        self._opened.callback(logid)

    def open_failed(self) -> None:
        """The log's row could not be made: its text is dropped, and ``finish`` ends at once."""
        self._no_row = True
        self._opened.callback(0)

    # -- adding text ---------------------------------------------------------------

    def add_stdout(self, text: str) -> None:
        self._add("o" if self.type == "s" else "", text)

    def add_stderr(self, text: str) -> None:
        self._add("e" if self.type == "s" else "", text)

    def add_header(self, text: str) -> None:
        self._add("h" if self.type == "s" else "", text)

    def add_text(self, text: str) -> None:
        """Text for a text or HTML log (stdout on a stdio log)."""
        self._add("o" if self.type == "s" else "", text)

    addStdout, addStderr, addHeader = add_stdout, add_stderr, add_header

    def add_stream(self, stream: str, text: str) -> None:
        """``stream`` is ``stdout``, ``stderr`` or ``header``."""
        self._add(STREAM_PREFIX.get(stream, "o") if self.type == "s" else "", text)

    def _add(self, prefix: str, text: str) -> None:
        if self.finished or not text:
            return
        partial = self._partial.pop(prefix, None)
        if partial:
            text = partial + text
        cut = text.rfind("\n") + 1
        if cut < len(text):
            rest = text[cut:]
            if len(rest) > MAX_PARTIAL:
                rest += "\n"
                cut = len(text) + 1
                text = text + "\n"
            else:
                self._partial[prefix] = rest
        if cut:
            self._queue(self._prefixed(prefix, text[:cut]))

    @staticmethod
    def _prefixed(prefix: str, lines: str) -> str:
        if not prefix:
            return lines
        return prefix + lines[:-1].replace("\n", "\n" + prefix) + "\n"

    def _queue(self, lines: str) -> None:
        max_size = self._limits.max_size
        if max_size is not None and self.stored_bytes + len(lines) > max_size:
            room = max_size - self.stored_bytes
            cut = lines.rfind("\n", 0, room) + 1 if room > 0 else 0
            self._keep_tail(lines[cut:])
            lines = lines[:cut]
            if not lines:
                return
        self.stored_bytes += len(lines)
        self._pending.append(lines)
        self._pending_size += len(lines)
        if self._pending_size >= BATCH_BYTES:
            self._kick()
        elif self._timer is None and self._drain is None:
            self._timer = self._clock.callLater(BATCH_SECONDS, self._kick)

    def _keep_tail(self, lines: str) -> None:
        self.dropped_bytes += len(lines)
        tail_size = self._limits.tail_size or 0
        if tail_size <= 0:
            return
        self._tail.append(lines)
        self._tail_size += len(lines)
        while self._tail and self._tail_size - len(self._tail[0]) >= tail_size:
            self._tail_size -= len(self._tail.popleft())

    # -- writing ---------------------------------------------------------------------

    def _kick(self) -> None:
        if self._timer is not None:
            if self._timer.active():
                self._timer.cancel()
            self._timer = None
        if self._drain is None and self._pending:
            d = defer.Deferred.fromCoroutine(self._write_pending())
            if not d.called:  # a write that finished synchronously has already cleaned up
                self._drain = d

    async def _write_pending(self) -> None:
        try:
            logid = self.logid if self.logid is not None else await self._opened
            while self._pending:
                text = self._take()
                self._release_waiters()
                if self._no_row:
                    self.lost_bytes += len(text)
                    continue
                try:
                    await self._sink.append_log(logid, redact(text, self._secrets))
                except DatabaseUnavailable as error:
                    if not self.lost_bytes:
                        log.warn(
                            "could not store lines of log {name}: {reason}",
                            name=self.name,
                            reason=error.reason,
                        )
                    self.lost_bytes += len(text)
                except Exception:
                    log.failure("could not store lines of log {name}", name=self.name)
        finally:
            self._drain = None
            self._release_waiters()

    def _take(self) -> str:
        """Up to ``MAX_APPEND`` of the queue (whole queued pieces), removed from it."""
        size, count = 0, 0
        for piece in self._pending:
            if count and size + len(piece) > MAX_APPEND:
                break
            size += len(piece)
            count += 1
        taken = self._pending[:count]
        del self._pending[:count]
        self._pending_size -= size
        return "".join(taken)

    def room(self) -> defer.Deferred[None] | None:
        """None when the queue is short; else a Deferred fired once it is below the mark."""
        if self._pending_size <= BACKLOG_HIGH:
            return None
        self._kick()
        waiter: defer.Deferred[None] = defer.Deferred()
        self._room_waiters.append(waiter)
        return waiter

    def _release_waiters(self) -> None:
        if self._room_waiters and self._pending_size <= BACKLOG_HIGH:
            waiters, self._room_waiters = self._room_waiters, []
            for waiter in waiters:
                waiter.callback(None)

    async def flush(self) -> None:
        """Write everything queued so far (unfinished lines stay unfinished)."""
        self._kick()
        while self._drain is not None:
            await self._drain
            self._kick()

    async def finish(self) -> None:
        """End unfinished lines, add the kept tail, write everything, mark the log complete."""
        if self.finished:
            return
        for prefix in list(self._partial):
            self._add(prefix, "\n")
        if self.dropped_bytes:
            tail = "".join(self._tail)
            size = self._limits.tail_size or 0
            if len(tail) > size:
                tail = tail[tail.find("\n", len(tail) - size - 1) + 1 :]
            notice = f"output truncated: {self.dropped_bytes - len(tail)} bytes dropped"
            self._limits = LogLimits()
            self._queue(self._prefixed("h" if self.type == "s" else "", f"{notice}\n"))
            if tail:
                self._queue(tail)
        self.finished = True
        await self.flush()
        if self.logid is None:
            await self._opened
        if self.lost_bytes:
            log.warn("{n} bytes of log {name} were not stored", n=self.lost_bytes, name=self.name)
        if self._no_row:
            return
        assert self.logid is not None
        try:
            await self._sink.finish_log(self.logid)
        except Exception:
            log.failure("could not finish log {name}", name=self.name)
