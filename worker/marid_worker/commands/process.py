"""Child processes for commands: a new session each, pipes read on the reactor, group kill.

Each child starts in its own session (``start_new_session``), so it leads a
process group that holds its children and grandchildren: :meth:`ChildProcess.kill`
signals the whole group. The child's stdout and stderr pipes (or one
pseudo-terminal with ``use_pty``) are read without blocking by the reactor,
and ``initial_stdin`` is written the same way, then stdin is closed.

:attr:`ChildProcess.ended` fires with the :class:`ExitStatus` once the child
has exited *and* its output pipes are closed, as with Twisted's own processes:
a background grandchild that keeps stdout open keeps the command running (and
a timeout kills the group). The exit is noticed through a pidfd where Linux
offers one, otherwise by polling.
"""

from __future__ import annotations

import errno
import os
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.interfaces import IReadDescriptor, IWriteDescriptor
from zope.interface import implementer

from marid_worker.reactors import ProcessReactor

READ_SIZE = 64 * 1024
POLL_INTERVAL = 0.1


@dataclass(frozen=True)
class ExitStatus:
    """How a child ended: an exit ``code`` or the ``signal`` that killed it."""

    code: int | None
    signal: int | None

    @property
    def rc(self) -> int:
        """The ``rc`` a master expects: the exit code, or -1 when killed by a signal."""
        return self.code if self.code is not None else -1


@implementer(IReadDescriptor)
class _Reader:
    """Reads one non-blocking fd on the reactor until EOF (or EIO from a closed pty)."""

    def __init__(self, fd: int, on_data: Callable[[bytes], None], on_eof: Callable[[], None]):
        self.fd = fd
        self._on_data = on_data
        self._on_eof = on_eof
        os.set_blocking(fd, False)

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "ChildProcess"

    def doRead(self) -> None:
        try:
            data = os.read(self.fd, READ_SIZE)
        except BlockingIOError:
            return
        except OSError as error:
            if error.errno != errno.EIO:
                raise
            data = b""
        if data:
            self._on_data(data)
        else:
            self._on_eof()

    def connectionLost(self, reason: object) -> None:
        self._on_eof()


@implementer(IReadDescriptor)
class _Readable:
    """Calls back once an fd becomes readable: a pidfd does when its process ends."""

    def __init__(self, fd: int, on_readable: Callable[[], None]):
        self.fd = fd
        self._on_readable = on_readable

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "ChildProcess"

    def doRead(self) -> None:
        self._on_readable()

    def connectionLost(self, reason: object) -> None:
        self._on_readable()


@implementer(IWriteDescriptor)
class _Writer:
    """Writes a fixed buffer to a non-blocking fd on the reactor, then closes it."""

    def __init__(self, fd: int, data: bytes, on_done: Callable[[], None]):
        self.fd = fd
        self._data = memoryview(data)
        self._on_done = on_done
        os.set_blocking(fd, False)

    def fileno(self) -> int:
        return self.fd

    def logPrefix(self) -> str:
        return "ChildProcess"

    def doWrite(self) -> None:
        try:
            written = os.write(self.fd, self._data[:READ_SIZE])
        except BlockingIOError:
            return
        except OSError:  # the child closed its stdin (EPIPE): nothing more to give it
            written = len(self._data)
        self._data = self._data[written:]
        if not self._data:
            self._on_done()

    def connectionLost(self, reason: object) -> None:
        self._on_done()


class ChildProcess:
    """One child process; :meth:`start` raises ``OSError`` when it cannot be run."""

    def __init__(
        self,
        reactor: ProcessReactor,
        argv: Sequence[str],
        *,
        cwd: str,
        env: Mapping[str, str],
        on_output: Callable[[str, bytes], None],
        stdin: bytes | None = None,
        use_pty: bool = False,
    ):
        self._reactor = reactor
        self._argv = list(argv)
        self._cwd = cwd
        self._env = dict(env)
        self._on_output = on_output
        self._stdin = stdin
        self._use_pty = use_pty
        self._popen: subprocess.Popen[bytes] | None = None
        self._readers: list[_Reader] = []
        self._writer: _Writer | None = None
        self._pidfd: _Readable | None = None
        self._status: ExitStatus | None = None
        self._paused = False
        self.ended: Deferred[ExitStatus] = Deferred()

    @property
    def pid(self) -> int | None:
        return None if self._popen is None else self._popen.pid

    def start(self) -> None:
        if self._use_pty:
            controller, terminal = os.openpty()
            stdin_fd: Any = terminal
            out: Any = terminal
            err: Any = terminal
        else:
            stdin_fd = subprocess.PIPE if self._stdin else subprocess.DEVNULL
            out = err = subprocess.PIPE
        try:
            self._popen = subprocess.Popen(
                self._argv,
                cwd=self._cwd,
                env=self._env,
                stdin=stdin_fd,
                stdout=out,
                stderr=err,
                start_new_session=True,
                close_fds=True,
            )
        except BaseException:
            if self._use_pty:
                os.close(controller)
            raise
        finally:
            if self._use_pty:
                os.close(terminal)
        popen = self._popen
        if self._use_pty:
            self._add_reader(controller, "stdout")
            if self._stdin:
                self._start_writer(os.dup(controller))
        else:
            assert popen.stdout is not None and popen.stderr is not None
            self._add_reader(popen.stdout.fileno(), "stdout")
            self._add_reader(popen.stderr.fileno(), "stderr")
            if popen.stdin is not None:
                self._start_writer(popen.stdin.fileno())
        self._watch_exit()

    def _add_reader(self, fd: int, stream: str) -> None:
        def eof() -> None:
            if reader in self._readers:
                self._readers.remove(reader)
                self._reactor.removeReader(reader)
                self._close_fd(fd)
                self._check_ended()

        reader = _Reader(fd, lambda data: self._on_output(stream, data), eof)
        self._readers.append(reader)
        if not self._paused:
            self._reactor.addReader(reader)

    def _start_writer(self, fd: int) -> None:
        def done() -> None:
            if self._writer is writer:
                self._writer = None
                self._reactor.removeWriter(writer)
                self._close_fd(fd)

        writer = _Writer(fd, self._stdin or b"", done)
        self._writer = writer
        self._reactor.addWriter(writer)

    def _close_fd(self, fd: int) -> None:
        popen = self._popen
        for pipe in (popen.stdin, popen.stdout, popen.stderr) if popen else ():
            if pipe is not None and not pipe.closed and pipe.fileno() == fd:
                pipe.close()
                return
        os.close(fd)

    def _watch_exit(self) -> None:
        assert self._popen is not None
        try:
            pidfd = os.pidfd_open(self._popen.pid)
        except (AttributeError, OSError):
            self._reactor.callLater(POLL_INTERVAL, self._poll)
            return

        def exited() -> None:
            if self._pidfd is watch:
                self._pidfd = None
                self._reactor.removeReader(watch)
                os.close(pidfd)
                self._poll()

        watch = _Readable(pidfd, exited)
        self._pidfd = watch
        self._reactor.addReader(watch)

    def _poll(self) -> None:
        assert self._popen is not None
        code = self._popen.poll()
        if code is None:
            self._reactor.callLater(POLL_INTERVAL, self._poll)
            return
        self._status = ExitStatus(None, -code) if code < 0 else ExitStatus(code, None)
        self._check_ended()

    def _check_ended(self) -> None:
        if self._status is not None and not self._readers and not self.ended.called:
            if self._writer is not None:
                self._writer.connectionLost(None)
            self.ended.callback(self._status)

    def kill(self, signum: int) -> bool:
        """Send ``signum`` to the child's whole process group; False if nothing was left."""
        if self._popen is None:
            return False
        try:
            os.killpg(self._popen.pid, signum)
        except ProcessLookupError:
            return False
        except PermissionError:
            # The group is gone and its id reused by someone else's: only the child is ours.
            if self._status is None:
                self._popen.send_signal(signum)
        return True

    def pause_reading(self) -> None:
        if not self._paused:
            self._paused = True
            for reader in self._readers:
                self._reactor.removeReader(reader)

    def resume_reading(self) -> None:
        if self._paused:
            self._paused = False
            for reader in self._readers:
                self._reactor.addReader(reader)
