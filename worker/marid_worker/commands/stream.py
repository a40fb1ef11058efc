"""A command's update stream to the master: ordered updates and batched whole-line output.

Each update is sent as its own call, ``cmdref.update([[{key: value}, 0]])``, the
shape buildbot-worker uses. Output (``stdout``, ``stderr`` and ``log`` files)
is cut into whole lines and batched: a batch goes out when it reaches
``batch_bytes`` (64 KiB) or ``batch_delay`` seconds (5) after its first line,
whichever comes first, and before any other update so that the order the
command produced things in is the order the master sees. A line longer than a
batch is sent in pieces. :meth:`UpdateStream.finish` flushes trailing partial
lines with a ``"\\n"`` appended.

PB keeps the order of calls on one connection, so updates are sent without
waiting for answers; the bytes not yet acknowledged are reported through
``on_backlog`` so that a process writing faster than the master reads can be
paused. When the connection to the master is lost, ``on_lost`` is called once
and everything after is dropped.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable
from typing import Any

from twisted.internet.defer import Deferred, DeferredList
from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger

from marid_worker.reactors import Clock
from marid_worker.wire import RemoteRef, is_connection_error

BATCH_BYTES = 64 * 1024
BATCH_DELAY = 5.0
BACKLOG_HIGH = 4 * 1024 * 1024
BACKLOG_LOW = 1024 * 1024

log = Logger()

# An output stream: ("stdout", None), ("stderr", None) or ("log", logname).
StreamKey = tuple[str, str | None]


class UpdateStream:
    """Sends one command's updates to its ``cmdref`` on the master."""

    def __init__(
        self,
        remote: RemoteRef,
        clock: Clock,
        *,
        batch_bytes: int = BATCH_BYTES,
        batch_delay: float = BATCH_DELAY,
    ):
        self._remote = remote
        self._clock = clock
        self._batch_bytes = batch_bytes
        self._batch_delay = batch_delay
        self._partial: dict[StreamKey, bytes] = {}
        self._decoders: dict[StreamKey, codecs.IncrementalDecoder] = {}
        self._batch: list[tuple[StreamKey, str]] = []
        self._batch_size = 0
        self._timer: IDelayedCall | None = None
        self._unacked: list[Deferred[None]] = []
        self._backlog = 0
        self._paused = False
        self.lost = False
        self.on_lost: Callable[[], None] | None = None
        self.on_backlog: Callable[[bool], None] | None = None

    # -- output ---------------------------------------------------------------

    def output(self, stream: str, data: bytes, logname: str | None = None) -> None:
        """Queue raw output of ``stream``; only whole lines leave before :meth:`finish`."""
        key: StreamKey = (stream, logname)
        buffered = self._partial.get(key, b"") + data
        cut = buffered.rfind(b"\n") + 1
        complete, rest = buffered[:cut], buffered[cut:]
        if len(rest) >= self._batch_bytes:
            complete, rest = buffered, b""
        self._partial[key] = rest
        if complete:
            self._add(key, self._decode(key, complete))

    def _decode(self, key: StreamKey, data: bytes, final: bool = False) -> str:
        decoder = self._decoders.get(key)
        if decoder is None:
            decoder = self._decoders[key] = codecs.getincrementaldecoder("utf-8")("replace")
        return decoder.decode(data, final)

    def _add(self, key: StreamKey, text: str) -> None:
        if not text:
            return
        if self._batch and self._batch[-1][0] == key:
            self._batch[-1] = (key, self._batch[-1][1] + text)
        else:
            self._batch.append((key, text))
        self._batch_size += len(text)
        if self._batch_size >= self._batch_bytes:
            self.flush()
        elif self._timer is None:
            self._timer = self._clock.callLater(self._batch_delay, self.flush)

    def flush(self) -> None:
        """Send the batched whole lines now."""
        if self._timer is not None:
            if self._timer.active():
                self._timer.cancel()
            self._timer = None
        batch, self._batch, self._batch_size = self._batch, [], 0
        for (stream, logname), text in batch:
            for piece in split_lines(text, self._batch_bytes):
                value: Any = piece if logname is None else (logname, piece)
                self._send(stream, value, len(piece))

    # -- other updates ------------------------------------------------------

    def send(self, key: str, value: Any) -> None:
        """Send one update (``rc``, ``header``, ``elapsed``...) after the output before it."""
        self.flush()
        self._send(key, value, len(value) if isinstance(value, str) else 0)

    def header(self, text: str) -> None:
        self.send("header", text)

    async def finish(self) -> None:
        """Flush trailing partial lines (ending them with a newline) and wait for delivery."""
        for key, rest in list(self._partial.items()):
            text = self._decode(key, rest, final=True)
            self._partial[key] = b""
            if text:
                self._add(key, text if text.endswith("\n") else text + "\n")
        self.flush()
        await self.wait_sent()

    async def wait_sent(self) -> None:
        while self._unacked:
            pending, self._unacked = self._unacked, []
            await DeferredList(pending)

    # -- delivery -----------------------------------------------------------

    def _send(self, key: str, value: Any, size: int) -> None:
        if self.lost:
            return
        try:
            sent: Deferred[Any] = self._remote.callRemote("update", [[{key: value}, 0]])
        except Exception as error:  # PB raises at once on a broker it knows is dead
            if not is_connection_error(error):
                raise
            self._lose()
            return
        self._backlog += size
        self._check_backlog()

        def delivered(_: object) -> None:
            self._backlog -= size
            self._check_backlog()

        def failed(failure: Any) -> None:
            self._backlog -= size
            if is_connection_error(failure.value):
                self._lose()
            else:
                log.failure("the master refused an update", failure)

        done: Deferred[None] = sent.addCallbacks(delivered, failed)
        self._unacked.append(done)

    def _check_backlog(self) -> None:
        paused = self._backlog > BACKLOG_HIGH or (self._paused and self._backlog > BACKLOG_LOW)
        if paused != self._paused:
            self._paused = paused
            if self.on_backlog is not None:
                self.on_backlog(paused)

    def _lose(self) -> None:
        if self.lost:
            return
        self.lost = True
        if self.on_lost is not None:
            self.on_lost()

    def mark_lost(self) -> None:
        """The connection is gone: drop further updates and tell ``on_lost``."""
        self._lose()


def split_lines(text: str, limit: int) -> list[str]:
    """Cut ``text`` into pieces of at most ``limit`` characters, at line ends when possible."""
    pieces: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit) + 1 or limit
        pieces.append(text[:cut])
        text = text[cut:]
    if text:
        pieces.append(text)
    return pieces
