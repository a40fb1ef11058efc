"""``MasterShellCommand``: run a command on the master itself, output into the step's log.

The command is a string (run by ``/bin/sh -c``) or a list (run as argv,
nested lists flattened); both are renderable. ``workdir`` is relative to the
master's base directory (default: the base directory). ``env`` adds to the
master's environment as the worker's ``shell`` does: a list value is joined
with ``os.pathsep``, ``${VAR}`` is replaced by the master's ``VAR``, and None
removes the variable. ``logEnviron`` writes the environment into the log.

The process is spawned with Twisted's ``spawnProcess`` on the master's
reactor, through a small trampoline that first makes it the leader of a new
session, so an interrupt (a stopped build) signals its whole process group
with ``interruptSignal`` (default KILL): a shell's background children die
with it and cannot keep the step waiting. The exit code goes through
``decodeRC`` (0 is SUCCESS, anything else FAILURE); an interrupt gives
CANCELLED; a program that does not exist fails the step before anything runs.
"""

from __future__ import annotations

import codecs
import contextlib
import os
import re
import shlex
import shutil
import signal
import sys
import time
from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from twisted.internet import defer, protocol
from twisted.internet.error import ProcessDone, ProcessExitedAlready, ProcessTerminated
from twisted.python.failure import Failure

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.renderables import is_renderable
from marid.process.results import CANCELLED
from marid.process.steplog import StepLog
from marid.steps.paths import master_path

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
_VARIABLE = re.compile(r"\$\{([0-9a-zA-Z_]*)\}")


def merge_environment(base: Mapping[str, str], changes: Mapping[str, Any]) -> dict[str, str]:
    """``base`` with ``changes`` applied (lists joined, ``${VAR}`` from ``base``, None removes)."""
    env = dict(base)
    for name, value in changes.items():
        if value is None:
            env.pop(name, None)
            continue
        text = os.pathsep.join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        env[name] = _VARIABLE.sub(lambda m: base.get(m.group(1), ""), text)
    return env


def command_argv(command: Any) -> list[str]:
    """The argv for a rendered ``command``: a string goes through ``/bin/sh -c``."""
    if isinstance(command, str):
        return ["/bin/sh", "-c", command]
    argv: list[str] = []
    for item in command:
        if isinstance(item, list | tuple):
            argv += command_argv(item)
        else:
            argv.append(str(item))
    return argv


class _Output(protocol.ProcessProtocol):
    """Streams the child's output into a stdio log; ``ended`` fires with (code, signal)."""

    def __init__(self, log: StepLog) -> None:
        self.log = log
        self.ended: defer.Deferred[tuple[int | None, int | None]] = defer.Deferred()
        self._decoders = {
            fd: codecs.getincrementaldecoder("utf-8")(errors="replace") for fd in (1, 2)
        }

    def childDataReceived(self, childFD: int, data: bytes) -> None:
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


class MasterShellCommand(BuildStep):
    """Run ``command`` on the master; see the module docstring."""

    name = "MasterShellCommand"
    description = "running"
    descriptionDone = "ran"
    haltOnFailure = True
    flunkOnFailure = True
    renderables: ClassVar[tuple[str, ...]] = ("command",)

    def __init__(
        self, command: Any = None, *, logEnviron: bool = True, usePTY: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(**kwargs)
        self.command = command
        self.logEnviron = logEnviron
        self.usePTY = usePTY
        self._process: Any = None

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)

        def bad(message: str) -> None:
            errors.add(f"MasterShellCommand {self.name!r}: {message}", key="builders", about=self)

        command = self.command
        if not command:
            bad("command is required")
        elif not isinstance(command, str | list | tuple) and not is_renderable(command):
            bad(f"command must be a string or a list, not {type(command).__name__}")
        if not isinstance(self.logEnviron, bool):
            bad("logEnviron must be True or False")

    async def run(self) -> int:
        argv, workdir, env = await self._prepare()
        log = await self.getLog("stdio")
        log.add_header(f"{shlex.join(argv)}\n in dir {workdir}\n argv: {argv!r}\n")
        if self.logEnviron:
            log.add_header(" environment:\n")
            log.add_header("".join(f"  {key}={env[key]}\n" for key in sorted(env)))
        output = _Output(log)
        started = time.monotonic()
        trampoline = [sys.executable, "-c", _TRAMPOLINE, *argv]
        self._process = self.master.reactor.spawnProcess(
            output, sys.executable, trampoline, env=env, path=workdir, usePTY=self.usePTY
        )
        self._process.closeStdin()
        if self.interrupted:  # stopped while we were starting it
            self._signal()
        code, sig = await output.ended
        self._process = None
        elapsed = time.monotonic() - started
        if sig is not None:
            log.add_header(f"program killed by signal {sig}\n")
        log.add_header(f"program finished with exit code {code}\nelapsedTime={elapsed:.6f}\n")
        if self.interrupted:
            return CANCELLED
        return self.outcome_of_rc(code if code is not None else -1)

    async def _prepare(self) -> tuple[list[str], str, dict[str, str]]:
        command = self.command
        if not isinstance(command, str | list | tuple) or not command:
            await self._fail(f"command rendered to {command!r}, not a string or a list")
        argv = command_argv(command)
        workdir = self.master_basedir
        if self.workdir is not None:
            if not isinstance(self.workdir, str):
                await self._fail(f"workdir rendered to {self.workdir!r}, not a path")
            workdir = master_path(self.master_basedir, self.workdir)
        changes = self.env if isinstance(self.env, Mapping) else {}
        env = merge_environment(os.environ, changes)
        problem = _cannot_start(workdir, argv[0], env.get("PATH"))
        if problem is not None:
            await self._fail(problem)
        return argv, workdir, env

    async def _fail(self, message: str) -> NoReturn:
        log = await self.getLog("stdio")
        log.add_header(message + "\n")
        raise StepFailed(message)

    def interrupt(self, reason: str) -> None:
        super().interrupt(reason)
        self._signal()

    def _signal(self) -> None:
        process = self._process
        if process is None or process.pid is None:
            return
        name = str(self.interruptSignal or "KILL")
        number = int(name) if name.isdigit() else getattr(signal, f"SIG{name}", signal.SIGKILL)
        try:
            os.killpg(process.pid, number)
        except (ProcessLookupError, PermissionError):
            with contextlib.suppress(ProcessExitedAlready):
                process.signalProcess(number)


def _cannot_start(workdir: str, program: str, search_path: str | None) -> str | None:
    """Why ``program`` cannot be started in ``workdir``, or None when it can."""
    if not os.path.isdir(workdir):
        return f"workdir {workdir} does not exist on the master"
    if os.path.isfile(os.path.join(workdir, program)):
        return None
    if shutil.which(program, path=search_path) is None:
        return f"command not found on the master: {program}"
    return None
