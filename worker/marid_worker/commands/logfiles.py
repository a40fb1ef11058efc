"""Following the files named in a shell command's ``logfiles`` while it runs.

``logfiles`` maps a log name to a filename (relative to the workdir) or to
``{"filename": ..., "follow": bool}``. A file is polled every second and once
more when the command ends. A file that is still exactly as it was when the
command started (same inode, size and mtime: a leftover from an earlier build)
is not sent. Once it changes, it is sent from its start, or with ``follow``
only what was appended after the command started. A file that shrinks is
read again from its start.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from twisted.internet.interfaces import IDelayedCall

from marid_worker.reactors import Clock

POLL_INTERVAL = 1.0
READ_LIMIT = 1024 * 1024  # per poll, so that a huge file cannot stall the reactor


@dataclass(frozen=True)
class LogFileSpec:
    name: str
    filename: str
    follow: bool


def parse_logfiles(logfiles: Mapping[str, Any] | None) -> list[LogFileSpec]:
    """The ``logfiles`` argument as specs; raises ValueError for a malformed entry."""
    specs = []
    for name, value in (logfiles or {}).items():
        if isinstance(value, str):
            specs.append(LogFileSpec(str(name), value, False))
        elif isinstance(value, Mapping) and isinstance(value.get("filename"), str):
            specs.append(LogFileSpec(str(name), value["filename"], bool(value.get("follow"))))
        else:
            raise ValueError(f"logfiles[{name!r}] must be a filename or {{'filename': ...}}")
    return specs


def _identity(path: Path) -> tuple[int, int, int] | None:
    try:
        st = path.stat()
    except OSError:
        return None
    return (st.st_ino, st.st_size, st.st_mtime_ns)


class LogFileWatcher:
    """Sends what is written to one file as ``on_data(name, bytes)`` calls."""

    def __init__(
        self,
        clock: Clock,
        spec: LogFileSpec,
        path: Path,
        on_data: Callable[[str, bytes], None],
        poll_interval: float = POLL_INTERVAL,
    ):
        self._clock = clock
        self._spec = spec
        self._path = path
        self._on_data = on_data
        self._interval = poll_interval
        self._initial = _identity(path)
        self._file: IO[bytes] | None = None
        self._timer: IDelayedCall | None = None

    def start(self) -> None:
        self._timer = self._clock.callLater(self._interval, self._tick)

    def _tick(self) -> None:
        self._timer = None
        self.poll()
        self._timer = self._clock.callLater(self._interval, self._tick)

    def poll(self) -> None:
        if self._file is None and not self._open():
            return
        assert self._file is not None
        try:
            size = os.fstat(self._file.fileno()).st_size
            if size < self._file.tell():
                self._file.seek(0)
            data = self._file.read(READ_LIMIT)
        except OSError:
            return
        if data:
            self._on_data(self._spec.name, data)

    def _open(self) -> bool:
        now = _identity(self._path)
        if now is None or now == self._initial:
            return False
        try:
            self._file = self._path.open("rb")
        except OSError:
            return False
        if self._spec.follow and self._initial is not None and now[0] == self._initial[0]:
            self._file.seek(min(self._initial[1], now[1]))
        return True

    def stop(self) -> None:
        """Send what is left (all of it, in pieces) and stop watching."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        self.poll()
        handle = self._file
        if handle is None:
            return
        for _ in range(1024):  # at most 1 GiB of tail, then give up
            position = handle.tell()
            self.poll()
            if handle.tell() == position:
                break
        handle.close()
        self._file = None
