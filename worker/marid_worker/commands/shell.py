"""The ``shell`` command: run a program, stream its output, enforce timeouts and limits.

The update stream (see ``worker-protocol.md``): one ``header`` describing the
command, then ``stdout``/``stderr``/``log`` output as whole lines, then, when
it ended badly, ``failure_reason`` and a header saying why it was killed;
then ``rc`` (the exit code, -1 when killed by a signal), a header
``elapsedTime=...``, and ``elapsed`` (which :func:`base.execute` sends; not
after an interrupt).

Ways a run is cut short, each killing the child's whole process group (with
``sigtermTime``: SIGTERM first, the final signal that many seconds later):

- ``timeout`` seconds without output (default 1200; None: never) ->
  ``failure_reason`` ``timeout_without_output``, SIGKILL;
- ``maxTime`` seconds in all -> ``timeout``, SIGKILL;
- more than ``max_lines`` lines of output -> ``max_lines_failure``, SIGKILL;
- an interrupt from the master or a lost connection -> ``interruptSignal``
  (default KILL).
"""

from __future__ import annotations

import os
import signal
from typing import Any

from twisted.internet.interfaces import IDelayedCall

from marid_worker.commands.base import Command, errno_of
from marid_worker.commands.invocation import (
    build_argv,
    describe,
    merge_environment,
    signal_number,
)
from marid_worker.commands.logfiles import LogFileWatcher, parse_logfiles
from marid_worker.commands.process import ChildProcess
from marid_worker.errors import CommandArgumentError

DEFAULT_TIMEOUT = 1200.0


def _optional_seconds(args: dict[str, Any], name: str, default: float | None) -> float | None:
    value = args.get(name, default)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise CommandArgumentError(f"shell: {name} must be a number, not {value!r}") from None


class ShellCommand(Command):
    name = "shell"
    required_args = ("workdir", "command")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        a = self.args
        try:
            self.argv = build_argv(a["command"])
            self.logfiles = parse_logfiles(a.get("logfiles"))
            self.interrupt_signal = signal_number(a.get("interruptSignal"))
            max_lines = a.get("max_lines")
            self.max_lines = None if max_lines is None else int(max_lines)
        except (TypeError, ValueError) as error:
            raise CommandArgumentError(f"shell: {error}") from None
        self.timeout = _optional_seconds(a, "timeout", DEFAULT_TIMEOUT)
        self.max_time = _optional_seconds(a, "maxTime", None)
        self.sigterm_time = _optional_seconds(a, "sigtermTime", None)
        stdin = a.get("initial_stdin")
        self.stdin = stdin.encode("utf-8") if isinstance(stdin, str) else stdin
        # Old masters send usePTY='slave-config' to mean "the worker's default": no PTY.
        self.use_pty = a.get("usePTY") is True
        self.want = {"stdout": a.get("want_stdout", True), "stderr": a.get("want_stderr", True)}
        self._process: ChildProcess | None = None
        self._timers: list[IDelayedCall] = []
        self._silence: IDelayedCall | None = None
        self._lines = 0
        self._killing = False
        self._paused = False

    async def run(self) -> None:
        workdir = self.path(self.args["workdir"])
        env = merge_environment(os.environ, self.args.get("env"), str(workdir))
        self.updates.header(
            describe(
                self.argv,
                workdir=str(workdir),
                timeout=self.timeout,
                max_time=self.max_time,
                logfiles={spec.name: spec.filename for spec in self.logfiles},
                environment=env if self.args.get("logEnviron", True) else None,
                stdin_size=None if self.stdin is None else len(self.stdin),
                use_pty=self.use_pty,
            )
        )
        started = self.reactor.seconds()
        try:
            workdir.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            self.updates.send("stderr", f"cannot create {workdir}: {error.strerror}\n")
            self.report_rc(errno_of(error))
            return
        try:
            self._process = ChildProcess(
                self.reactor,
                self.argv.real,
                cwd=str(workdir),
                env=env,
                on_output=self._output,
                stdin=self.stdin,
                use_pty=self.use_pty,
            )
            self._process.start()
        except OSError as error:
            self.updates.send("stderr", f"cannot run {self.argv.shown[0]!r}: {error.strerror}\n")
            self.report_rc(127 if isinstance(error, FileNotFoundError) else errno_of(error))
            return
        self.updates.on_backlog = self._backlog
        watchers = [
            LogFileWatcher(
                self.reactor,
                spec,
                workdir / spec.filename,
                lambda name, data: self.updates.output("log", data, name),
            )
            for spec in self.logfiles
        ]
        for watcher in watchers:
            watcher.start()
        self._arm_timers()
        if self.interrupted:  # an interrupt that came before the child existed
            self._kill("\ncommand interrupted, attempting to kill\n", None, self.interrupt_signal)
        status = await self._process.ended
        for timer in self._timers:
            if timer.active():
                timer.cancel()
        for watcher in watchers:
            watcher.stop()
        await self.updates.finish()
        if status.signal is not None:
            self.updates.header(f"process killed by signal {status.signal}\n")
        # A command killed for a reason must not look successful, even if it exited 0.
        self.report_rc(-1 if self._killing and status.rc == 0 else status.rc)
        self.updates.header(f"elapsedTime={self.reactor.seconds() - started:0.6f}\n")

    def report_rc(self, rc: int) -> None:
        """Send ``rc``; commands that run several tools in a row collect it instead."""
        self.updates.send("rc", rc)

    def _arm_timers(self) -> None:
        if self.timeout is not None:
            self._silence = self.reactor.callLater(self.timeout, self._silent_too_long)
            self._timers.append(self._silence)
        if self.max_time is not None:
            message = (
                f"\ncommand timed out: {self.max_time:g} seconds elapsed, attempting to kill\n"
            )
            self._timers.append(
                self.reactor.callLater(
                    self.max_time, self._kill, message, "timeout", signal.SIGKILL
                )
            )

    def _silent_too_long(self) -> None:
        assert self.timeout is not None
        if self._paused:  # the master is slow to take output: the command is not silent
            self._silence = self.reactor.callLater(self.timeout, self._silent_too_long)
            self._timers.append(self._silence)
            return
        self._kill(
            f"\ncommand timed out: {self.timeout:g} seconds without output, attempting to kill\n",
            "timeout_without_output",
            signal.SIGKILL,
        )

    def _output(self, stream: str, data: bytes) -> None:
        if self._silence is not None and self._silence.active():
            self._silence.reset(self.timeout or 0)
        if self.max_lines is not None:
            if self._lines >= self.max_lines:
                return
            lines = data.count(b"\n")
            if self._lines + lines > self.max_lines:
                keep = self.max_lines - self._lines
                cut = 0
                for _ in range(keep):
                    cut = data.index(b"\n", cut) + 1
                self._lines = self.max_lines
                self._emit(stream, data[:cut])
                self._kill(
                    f"\ncommand produced more than {self.max_lines} lines of output, "
                    "attempting to kill\n",
                    "max_lines_failure",
                    signal.SIGKILL,
                )
                return
            self._lines += lines
        self._emit(stream, data)

    def _emit(self, stream: str, data: bytes) -> None:
        if data and self.want.get(stream, True):
            self.updates.output(stream, data)

    def _backlog(self, paused: bool) -> None:
        self._paused = paused
        if self._process is not None:
            if paused:
                self._process.pause_reading()
            else:
                self._process.resume_reading()

    def _kill(self, message: str, failure_reason: str | None, final_signal: int) -> None:
        if self._killing or self._process is None:
            return
        self._killing = True
        if failure_reason is not None:
            self.updates.send("failure_reason", failure_reason)
        self.updates.header(message)
        process = self._process
        if self.sigterm_time:
            process.kill(signal.SIGTERM)
            self._timers.append(
                self.reactor.callLater(self.sigterm_time, process.kill, final_signal)
            )
        else:
            process.kill(final_signal)
        # Reading stays on while the group dies: a paused reader would keep it blocked.
        process.resume_reading()

    def interrupt(self, why: str) -> None:
        if self.finished:
            return
        super().interrupt(why)
        self._kill("\ncommand interrupted, attempting to kill\n", None, self.interrupt_signal)
