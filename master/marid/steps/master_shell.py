"""``MasterShellCommand``: run a command on the master itself, output into the step's log.

The command is a string (run by ``/bin/sh -c``) or a list (run as argv,
nested lists flattened); both are renderable. ``workdir`` is relative to the
master's base directory (default: the base directory). ``env`` adds to the
master's environment as the worker's ``shell`` does: a list value is joined
with ``os.pathsep``, ``${VAR}`` is replaced by the master's ``VAR``, and None
removes the variable. ``logEnviron`` writes the environment into the log.

``timeout`` (seconds without output, default 1200) and ``maxTime`` (seconds
in all; Buildbot's ``runtime_timeout`` is accepted as its other name) kill
the command as they do a ``ShellCommand`` on a worker, and the step FAILS.
An interrupt (a stopped build) sends ``interruptSignal`` (default KILL) to
the command's whole process group and the step is CANCELLED. The process
itself lives in ``master_process``. The exit code goes through ``decodeRC``
(0 is SUCCESS, anything else FAILURE); a program that does not exist fails
the step before anything runs.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.renderables import is_renderable
from marid.process.results import CANCELLED, FAILURE
from marid.steps.master_process import MasterProcess
from marid.steps.paths import master_path
from marid_worker.commands.invocation import signal_number

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


class MasterShellCommand(BuildStep):
    """Run ``command`` on the master; see the module docstring."""

    name = "MasterShellCommand"
    description = "running"
    descriptionDone = "ran"
    haltOnFailure = True
    flunkOnFailure = True
    renderables: ClassVar[tuple[str, ...]] = ("command", "runtime_timeout")

    def __init__(
        self,
        command: Any = None,
        *,
        logEnviron: bool = True,
        usePTY: bool = False,
        runtime_timeout: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.command = command
        self.logEnviron = logEnviron
        self.usePTY = usePTY
        self.runtime_timeout = runtime_timeout
        self._process: MasterProcess | None = None

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
        if self.runtime_timeout is not None:
            if self.maxTime is not None:
                bad("give maxTime or runtime_timeout (its Buildbot name), not both")
            elif not is_renderable(self.runtime_timeout) and _seconds(self.runtime_timeout) is None:
                bad(f"runtime_timeout must be a number of seconds, not {self.runtime_timeout!r}")
        problem = _signal_problem(self.interruptSignal)
        if problem is not None and not is_renderable(self.interruptSignal):
            bad(problem)

    async def run(self) -> int:
        argv, workdir, env = await self._prepare()
        timeout, max_time = await self._limits()
        log = await self.getLog("stdio")
        log.add_header(f"{shlex.join(argv)}\n in dir {workdir}\n argv: {argv!r}\n")
        if self.logEnviron:
            log.add_header(" environment:\n")
            log.add_header("".join(f"  {key}={env[key]}\n" for key in sorted(env)))
        self._process = MasterProcess(
            self.master.reactor,
            argv,
            workdir=workdir,
            env=env,
            log=log,
            timeout=timeout,
            max_time=max_time,
            use_pty=self.usePTY,
        )
        ended = self._process.start()
        if self.interrupted:  # stopped while we were starting it
            self._signal()
        outcome = await ended
        self._process = None
        if self.interrupted:
            return CANCELLED
        if outcome.failure_reason is not None:
            return FAILURE
        return self.outcome_of_rc(outcome.rc)

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
        problem = _signal_problem(self.interruptSignal)
        if problem is not None:
            await self._fail(problem)
        return argv, workdir, env

    async def _limits(self) -> tuple[float | None, float | None]:
        """The rendered ``timeout`` and ``maxTime`` (or ``runtime_timeout``) as seconds."""
        limits: list[float | None] = []
        max_time = self.maxTime if self.maxTime is not None else self.runtime_timeout
        for label, value in (("timeout", self.timeout), ("maxTime", max_time)):
            seconds = _seconds(value)
            if value is not None and seconds is None:
                await self._fail(f"{label} rendered to {value!r}, not a number of seconds")
            limits.append(seconds)
        return limits[0], limits[1]

    async def _fail(self, message: str) -> NoReturn:
        log = await self.getLog("stdio")
        log.add_header(message + "\n")
        raise StepFailed(message)

    def interrupt(self, reason: str) -> None:
        super().interrupt(reason)
        self._signal()

    def _signal(self) -> None:
        if self._process is not None:
            self._process.kill(signal_number(self.interruptSignal))


def _seconds(value: Any) -> float | None:
    """``value`` as a number of seconds, or None when it is not one (or is None)."""
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return float(value)
    return None


def _signal_problem(name: Any) -> str | None:
    """Why ``name`` is not a signal ``interruptSignal`` can name, or None when it is one."""
    try:
        signal_number(name)
    except (TypeError, ValueError, AttributeError):
        return f"interruptSignal must name a signal (such as 'TERM' or 9), not {name!r}"
    return None


def _cannot_start(workdir: str, program: str, search_path: str | None) -> str | None:
    """Why ``program`` cannot be started in ``workdir``, or None when it can."""
    if not os.path.isdir(workdir):
        return f"workdir {workdir} does not exist on the master"
    if os.path.isfile(os.path.join(workdir, program)):
        return None
    if shutil.which(program, path=search_path) is None:
        return f"command not found on the master: {program}"
    return None
