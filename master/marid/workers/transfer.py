"""The master's side of file transfers: writers for uploads, readers for downloads.

A worker uploading calls ``write(data)`` on a writer reference, then
``close()``, then possibly ``utime((atime, mtime))``; a directory upload sends a
tar stream and calls ``unpack()``. Uploads go to a temporary file beside the
destination and are renamed into place on ``close``, so a reader never sees a
half-written file and an interrupted upload leaves nothing (call ``cancel()``
when the command fails). ``maxsize`` is enforced here too: a worker that sends
more is refused and the partial file removed.

Directory uploads are unpacked by ``unpack.py``: within limits on the
unpacked bytes and entries, refusing unsafe entries, and all or nothing.
The unpack (with the merge into the destination and the removal of what a
refused or cancelled upload staged) runs in the reactor's thread pool, so a
large upload never stalls the reactor; ``remote_unpack`` answers the worker
only once it is over. ``cancel()`` during an unpack asks the thread to stop
(it checks between members and chunks) and cleans up when it has; so does a
reactor shutdown, which waits for the thread to stop.

A download reads from a ``FileReader`` with ``read(maxlength)`` until ``b''``.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
import threading
from collections.abc import Callable
from typing import IO, Any, TypeVar

from twisted.internet import defer, threads
from twisted.internet.interfaces import IReactorCore, IReactorThreads
from twisted.logger import Logger
from twisted.python.failure import Failure
from twisted.spread import pb

from marid.workers.unpack import UnpackCancelled, UnpackLimits, UnpackRefused, unpack_archive

log = Logger()
T = TypeVar("T")

# Banana refuses strings over 640 KiB; keep each block well under it.
MAX_BLOCK = 512 * 1024
# What a directory upload may unpack unless the step says otherwise (see docs/steps.md).
DEFAULT_MAX_UNPACKED_SIZE = 10 * 1024**3
DEFAULT_MAX_MEMBERS = 100_000


class TransferError(pb.Error):
    """Sent back to the worker as the reason a transfer was refused."""


class FileWriter(pb.Referenceable):
    def __init__(self, destfile: str, *, maxsize: int | None = None, mode: int | None = None):
        self.destfile = os.path.abspath(destfile)
        self.maxsize = maxsize
        self.mode = mode
        self.size = 0
        self.closed = False
        directory = os.path.dirname(self.destfile)
        self._made = _make_dirs(directory)
        fd, self.tmpname = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(self.destfile)}.", suffix=".part"
        )
        self._file: IO[bytes] | None = os.fdopen(fd, "wb")

    def remote_write(self, data: bytes | str) -> None:
        if self._file is None:
            raise TransferError("write after close")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.maxsize is not None and self.size + len(data) > self.maxsize:
            self.cancel()
            raise TransferError(f"upload exceeds maxsize of {self.maxsize} bytes")
        self._file.write(data)
        self.size += len(data)

    def remote_utime(self, times: tuple[float, float] | list[float]) -> None:
        atime, mtime = times
        target = self.destfile if self.closed else self.tmpname
        os.utime(target, (atime, mtime))

    def remote_close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        self._file = None
        if self.mode is not None:
            os.chmod(self.tmpname, self.mode)
        os.replace(self.tmpname, self.destfile)
        self.closed = True

    def cancel(self) -> None:
        """Drop a transfer that will not complete; the destination is left untouched."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self.closed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmpname)
            for made in reversed(self._made):
                with contextlib.suppress(OSError):
                    os.rmdir(made)  # only if still empty
            self._made = []


def _make_dirs(directory: str) -> list[str]:
    """Create ``directory`` and its missing parents; return those created, outermost first."""
    missing: list[str] = []
    while not os.path.isdir(directory) and directory not in missing:
        missing.append(directory)
        directory = os.path.dirname(directory)
    for path in reversed(missing):
        with contextlib.suppress(FileExistsError):
            os.mkdir(path)
    return missing[::-1]


class DirectoryWriter(FileWriter):
    """Receives a (possibly gz/bz2-compressed) tar stream and unpacks it into ``destdir``.

    ``maxsize`` bounds the stream; ``max_unpacked_size`` (default: ``maxsize``
    when that is set, else ``DEFAULT_MAX_UNPACKED_SIZE``) bounds the bytes of
    the unpacked files and ``max_members`` the number of entries. A refused
    archive leaves nothing behind and its reason in ``refusal``; the step
    fails with it.

    Everything but ``unpack_archive`` runs on the reactor thread; the thread
    touches only the temporary archive, the staging directory and (when it
    finishes) the destination. ``stop()`` and ``cancel()`` may be called at any
    time; ``settled()`` waits until no unpack is running.
    """

    def __init__(
        self,
        destdir: str,
        *,
        reactor: Any,
        maxsize: int | None = None,
        compress: str | None = None,
        max_unpacked_size: int | None = None,
        max_members: int | None = None,
    ):
        self.destdir = os.path.abspath(destdir)
        super().__init__(self.destdir, maxsize=maxsize)
        self.reactor = reactor
        self.compress = compress
        self.limits = unpack_limits(maxsize, max_unpacked_size, max_members)
        self.unpacked = False
        self.refusal: str | None = None
        self._stop = threading.Event()
        self._unpacking: defer.Deferred[None] | None = None
        self._cancelled = False
        self._shutting_down = False

    def remote_close(self) -> None:
        # A directory upload ends with unpack(); close only flushes the stream.
        if self._file is not None:
            self._file.flush()

    def remote_unpack(self) -> defer.Deferred[None]:
        """Unpack in a thread; the answer (always None) waits for the end of it.

        A refusal is kept for the step rather than raised to the worker:
        buildbot-worker 4.x cannot report a failed unpack() and would never end
        the command.
        """
        if self._unpacking is not None:
            return _follow(self._unpacking)
        if self._file is not None:
            self._file.close()
            self._file = None
        if self.closed or self._cancelled:
            return defer.succeed(None)
        trigger = None
        if IReactorCore.providedBy(self.reactor):
            trigger = self.reactor.addSystemEventTrigger("before", "shutdown", self._on_shutdown)
        running = run_blocking(self.reactor, self._unpack_in_thread)
        done = running.addBoth(self._unpack_done, trigger)
        self._unpacking = done.addErrback(self._cleanup_failed)
        return _follow(self._unpacking)

    def _unpack_in_thread(self) -> str | None:
        """The thread's work: the refusal, or None once ``destdir`` holds the upload."""
        try:
            unpack_archive(self.tmpname, self.destdir, self.limits, self._stop)
        except (UnpackRefused, UnpackCancelled) as error:
            return str(error)
        except OSError as error:  # a full disk, a permission: the step's to report
            return f"cannot unpack the uploaded directory on the master: {error}"
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmpname)
        return None

    def _unpack_done(self, outcome: object, trigger: object) -> None:
        if trigger is not None and not self._shutting_down:  # a fired trigger stays
            self.reactor.removeSystemEventTrigger(trigger)
        if isinstance(outcome, Failure):  # an error nobody expected
            log.failure("unpacking into {dest} failed", outcome, dest=self.destdir)
            outcome = f"cannot unpack the uploaded directory on the master: {outcome.value}"
        if outcome is None:
            self.closed = self.unpacked = True
            return
        self.refusal = str(outcome)
        super().cancel()  # the thread removed what it staged; now the directories made for it

    def _cleanup_failed(self, failure: Failure) -> None:
        log.failure("cleaning up after the upload into {dest} failed", failure, dest=self.destdir)

    def _on_shutdown(self) -> defer.Deferred[None]:
        self._shutting_down = True
        self.stop()
        return self.settled()

    def stop(self) -> None:
        """Ask a running (or later) unpack to stop; it leaves nothing behind."""
        self._stop.set()

    def cancel(self) -> None:
        """Drop the upload: stop the unpack if one runs and clean up when it has stopped."""
        self._cancelled = True
        self.stop()
        if self._unpacking is None:
            super().cancel()
        # else: _unpack_done cleans up, unless the upload had already been moved into place

    def settled(self) -> defer.Deferred[None]:
        """Fires once no unpack is running (at once if none was started)."""
        if self._unpacking is None:
            return defer.succeed(None)
        return _follow(self._unpacking)


def _follow(source: defer.Deferred[None]) -> defer.Deferred[None]:
    """A Deferred that fires with None when ``source`` does, leaving ``source``'s result alone."""
    follower: defer.Deferred[None] = defer.Deferred()

    def fire(result: object) -> object:
        follower.callback(None)
        return result

    source.addBoth(fire)
    return follower


def run_blocking(reactor: Any, work: Callable[[], T]) -> defer.Deferred[T]:
    """Run ``work`` in ``reactor``'s thread pool; inline on a reactor without threads.

    The inline case is for ``task.Clock`` in unit tests; the real reactor always
    has a pool, which it stops (joining its threads) when it shuts down.
    """
    if IReactorThreads.providedBy(reactor):
        return threads.deferToThreadPool(reactor, reactor.getThreadPool(), work)
    return defer.maybeDeferred(work)


def unpack_limits(
    maxsize: int | None, max_unpacked_size: int | None, max_members: int | None
) -> UnpackLimits:
    """What a directory upload may unpack, named after the setting that chose each limit."""
    if max_unpacked_size is not None:
        size, size_name = max_unpacked_size, "max_unpacked_size"
    elif maxsize is not None:
        size, size_name = maxsize, "maxsize; set max_unpacked_size to allow more"
    else:
        size, size_name = DEFAULT_MAX_UNPACKED_SIZE, "the default max_unpacked_size"
    if max_members is not None:
        members, members_name = max_members, "max_members"
    else:
        members, members_name = DEFAULT_MAX_MEMBERS, "the default max_members"
    return UnpackLimits(size, members, size_name, members_name)


class FileReader(pb.Referenceable):
    """Serves a file (or any binary stream) to a downloading worker."""

    def __init__(self, source: IO[bytes]):
        self._source: IO[bytes] | None = source

    @classmethod
    def open(cls, path: str) -> FileReader:
        return cls(open(path, "rb"))  # closed by remote_close or cancel

    def remote_read(self, maxlength: int) -> bytes:
        if self._source is None:
            return b""
        return self._source.read(max(0, min(int(maxlength), MAX_BLOCK)))

    def remote_close(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None
