"""One command run on the master for ``MasterShellCommand``: its process, limits and kill.

``MasterProcess.run`` spawns the argv with Twisted's ``spawnProcess`` on the
master's reactor, through a small trampoline that first makes the child the
leader of a new session, so ``kill`` reaches its whole process group: a
shell's background children die with it and cannot keep the step waiting.
Output goes to the step's stdio log as it arrives.

Two limits end the command the way the worker's ``shell`` command ends one,
with the same log lines, so a step reads alike wherever it ran:

- ``timeout`` seconds without output -> ``command timed out: N seconds
  without output, attempting to kill``, failure reason
  ``timeout_without_output``;
- ``max_time`` seconds in all -> ``command timed out: N seconds elapsed,
  attempting to kill``, failure reason ``timeout``.

Either kills the group with SIGKILL; None means no limit. ``run`` returns an
``Exit`` once the process has ended and its output pipes are closed, after
writing ``process killed by signal N`` (when it was),
``program finished with exit code RC`` (-1 for a signal) and ``elapsedTime``.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import signal
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from twisted.internet import defer, protocol
from twisted.internet.error import ProcessDone, ProcessExitedAlready, ProcessTerminated
from twisted.internet.interfaces import IDelayedCall
from twisted.python.failure import Failure

from marid.process.steplog import StepLog

# Runs in the child: a new session (so the group can be killed), then the command.
_TRAMPOLINE = (
    "import os, sys\n"
    "os.setsid()\n"
    "try:\n"
    "    os.execvp(sys.argv[1], sys.argv[1:])\n"
    "except OSError as error:\n"
    "    sys.stderr.write(f'cannot run {sys.argv[1]}: {error.strerror}\\n')\n"
    "    sys.exit(127)\n"
)


@dataclass(frozen=True)
class Exit:
    """How the command ended: ``rc`` (-1 when killed by a signal), the signal, the limit hit."""

    rc: int
    signal: int | None
    failure_reason: str | None


class _Output(protocol.ProcessProtocol):
    """Streams the child's output into a stdio log; ``ended`` fires with (code, signal)."""

    def __init__(self, log: StepLog, on_output: Any) -> None:
        self.log = log
        self.on_output = on_output
        self.ended: defer.Deferred[tuple[int | None, int | None]] = defer.Deferred()
        self._decoders = {
            fd: codecs.getincrementaldecoder("utf-8")(errors="replace") for fd in (1, 2)
        }

    def childDataReceived(self, childFD: int, data: bytes) -> None:
        self.on_output()
        text = self._decoders[childFD].decode(data) if childFD in self._decoders else ""
        if childFD == 1:
            self.log.add_stdout(text)
        elif childFD == 2:
            self.log.add_stderr(text)

    def processEnded(self, reason: Failure) -> None:
        self.log.add_stdout(self._decoders[1].decode(b"", final=True))
        self.log.add_stderr(self._decoders[2].decode(b"", final=True))
        value = reason.value
        if isinstance(value, ProcessDone | ProcessTerminated):
            self.ended.callback((value.exitCode, value.signal))
        else:
            self.ended.callback((None, None))


class MasterProcess:
    """``argv`` run in ``workdir`` with ``env``; see the module docstring."""

    def __init__(
        self,
        reactor: Any,
        argv: Sequence[str],
        *,
        workdir: str,
        env: Mapping[str, str],
        log: StepLog,
        timeout: float | None,
        max_time: float | None,
        use_pty: bool = False,
    ) -> None:
        self.reactor = reactor
        self.argv = list(argv)
        self.workdir = workdir
        self.env = dict(env)
        self.log = log
        self.timeout = timeout
        self.max_time = max_time
        self.use_pty = use_pty
        self._transport: Any = None
        self._silence: IDelayedCall | None = None
        self._deadline: IDelayedCall | None = None
        self._failure_reason: str | None = None

    def start(self) -> defer.Deferred[Exit]:
        """Spawn the process; the Deferred fires with its ``Exit``."""
        output = _Output(self.log, self._output_seen)
        started = time.monotonic()
        trampoline = [sys.executable, "-c", _TRAMPOLINE, *self.argv]
        self._transport = self.reactor.spawnProcess(
            output, sys.executable, trampoline, env=self.env, path=self.workdir, usePTY=self.use_pty
        )
        self._transport.closeStdin()
        if self.timeout is not None:
            message = f"{self.timeout:g} seconds without output"
            self._silence = self.reactor.callLater(
                self.timeout, self._time_out, message, "timeout_without_output"
            )
        if self.max_time is not None:
            message = f"{self.max_time:g} seconds elapsed"
            self._deadline = self.reactor.callLater(
                self.max_time, self._time_out, message, "timeout"
            )
        return output.ended.addCallback(self._ended, started)

    def kill(self, signum: int) -> None:
        """Send ``signum`` to the command's process group (or the process, if that fails)."""
        if self._transport is None or self._transport.pid is None:
            return
        try:
            os.killpg(self._transport.pid, signum)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessExitedAlready):
                self._transport.signalProcess(signum)

    def _output_seen(self) -> None:
        if self._silence is not None and self._silence.active() and self.timeout is not None:
            self._silence.reset(self.timeout)

    def _time_out(self, what: str, failure_reason: str) -> None:
        if self._failure_reason is not None:
            return
        self._failure_reason = failure_reason
        self.log.add_header(f"\ncommand timed out: {what}, attempting to kill\n")
        self.kill(signal.SIGKILL)

    def _ended(self, status: tuple[int | None, int | None], started: float) -> Exit:
        for timer in (self._silence, self._deadline):
            if timer is not None and timer.active():
                timer.cancel()
        self._transport = None
        code, signum = status
        rc = code if code is not None else -1
        if signum is not None:
            self.log.add_header(f"process killed by signal {signum}\n")
        elapsed = time.monotonic() - started
        self.log.add_header(f"program finished with exit code {rc}\nelapsedTime={elapsed:.6f}\n")
        return Exit(rc, signum, self._failure_reason)
