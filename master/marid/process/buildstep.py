"""``BuildStep``: the base class of every step, as configured and as it runs in a build.

A step object in ``master.cfg`` is configuration: ``BuildFactory`` keeps it and
every build gets a fresh instance made from the same constructor arguments
(``new_instance``), so run-time state never leaks from one build to the next.

Writing a step (names follow Buildbot where users' custom steps call them)::

    class Hello(BuildStep):
        name = "hello"
        renderables = ("greeting",)          # rendered before run()

        def __init__(self, greeting: str = "hi", **kwargs: Any) -> None:
            super().__init__(**kwargs)
            self.greeting = greeting

        async def run(self) -> int:
            result = await self.run_command("shell", {"command": ["echo", self.greeting],
                                                      "workdir": self.workdir})
            return SUCCESS if result.rc == 0 else FAILURE

While ``run`` runs, the step has ``build``, ``master``, ``worker_name``,
``builder_name``, ``stepid``, ``number`` and ``worker_connection``. Errors:
raise ``StepFailed(message)`` for a clean FAILURE with a message; a lost worker
(``WorkerLostError``) ends the build with RETRY; any other exception (a bad
renderable, a refused command) gives EXCEPTION with the traceback in the
step's ``err.text`` log, never a crash of the master. Results combine into the
build's with ``compute_result_and_termination``. The lifecycle around ``run``
(doStepIf, locks, the step row, hiding) is in ``steprunner.py``.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Self

from marid.config.origin import ORIGIN_ATTRIBUTE, ConfigObject
from marid.process.properties import Properties
from marid.process.remotecommand import CommandResult, RemoteCommand
from marid.process.stepargs import StepArguments
from marid.process.steplog import StepLog

if TYPE_CHECKING:
    from marid.master import BuildMaster
    from marid.process.build import Build
    from marid.process.remotecommand import CommandConnection


class StepFailed(Exception):
    """Raise from ``run`` to end the step with FAILURE; the message becomes its status."""


class BuildStep(StepArguments, ConfigObject):
    """A step of a build. Override ``run``; see the module docstring.

    Class attributes a subclass may set: ``name``, ``description``,
    ``descriptionDone``, ``descriptionSuffix``, ``renderables`` (attribute
    names rendered before ``run``; the sets of all base classes are combined),
    and the result flags (``haltOnFailure``, ``flunkOnFailure``...).
    The common constructor keywords are documented on ``StepArguments``.
    """

    renderables: ClassVar[tuple[str, ...]] = (
        "name",
        "description",
        "descriptionDone",
        "descriptionSuffix",
        "workdir",
        "env",
        "timeout",
        "maxTime",
        "max_lines",
        "logfiles",
        "interruptSignal",
    )

    # Set by the build for the duration of one run (fresh instances only).
    build: Build
    stepid: int
    number: int

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        instance = super().__new__(cls, *args, **kwargs)
        # The outermost constructor call: what new_instance repeats for each build.
        if "_factory_args" not in instance.__dict__:
            instance._factory_args = (args, dict(kwargs))
        return instance

    _factory_args: tuple[tuple[Any, ...], dict[str, Any]]

    # -- configuration ---------------------------------------------------------

    def new_instance(self) -> Self:
        """A fresh copy of this configured step, made from its constructor arguments."""
        args, kwargs = self._factory_args
        fresh = type(self)(*args, **kwargs)
        setattr(fresh, ORIGIN_ATTRIBUTE, self.config_origin)
        return fresh

    @classmethod
    def all_renderables(cls) -> tuple[str, ...]:
        """``renderables`` of this class and all its bases, each once, bases first."""
        names: list[str] = []
        for klass in reversed(cls.__mro__):
            for name in klass.__dict__.get("renderables", ()):
                if name not in names:
                    names.append(name)
        return tuple(names)

    # -- what run() uses ---------------------------------------------------------

    async def run(self) -> int:
        """Do the step's work and return a ``Results`` value. Subclasses override this."""
        raise NotImplementedError(f"{type(self).__name__} does not implement run()")

    @property
    def master(self) -> BuildMaster:
        return self.build.master

    @property
    def master_basedir(self) -> str:
        return self.build.master.basedir

    @property
    def worker_name(self) -> str:
        return self.build.worker_name

    @property
    def builder_name(self) -> str:
        return self.build.builder_name

    @property
    def worker_connection(self) -> CommandConnection:
        return self.build.connection

    @property
    def worker_info(self) -> Mapping[str, Any]:
        """What the worker reported about itself (``system``, ``basedir``, ``environ``...)."""
        return self.build.worker_info

    def getProperties(self) -> Properties:
        return self.build.properties

    def getProperty(self, name: str, default: Any = None) -> Any:
        return self.build.properties.getProperty(name, default)

    def hasProperty(self, name: str) -> bool:
        return self.build.properties.hasProperty(name)

    def setProperty(
        self, name: str, value: Any, source: str = "Step", runtime: bool = True
    ) -> None:
        """Set a build property; it is stored when the step ends (and when the build ends)."""
        self.build.set_property(name, value, source, runtime)

    async def render(self, value: Any) -> Any:
        """``value`` with every renderable in it rendered against the build's properties."""
        return await self.build.properties.render(value)

    def worker_path(self, *parts: str) -> str:
        """Join ``parts`` in the worker's path style (``\\`` on Windows workers)."""
        module = ntpath if self.build.worker_info.get("system") == "nt" else posixpath
        return module.join(*parts) if parts else ""

    # -- logs ----------------------------------------------------------------------

    async def addLog(self, name: str, type: str = "s") -> StepLog:
        """A new log of this step: ``"s"`` stdio, ``"t"`` text, ``"h"`` HTML."""
        return await self.build.logs.open(self, name, type)

    async def getLog(self, name: str) -> StepLog:
        """This step's log ``name``, opening it (as stdio) if it does not exist yet."""
        existing = self._logs.get(name)
        return existing if existing is not None else await self.addLog(name)

    async def addCompleteLog(self, name: str, text: str) -> None:
        log = await self.addLog(name, "t")
        log.add_text(text)
        await log.finish()

    async def addHTMLLog(self, name: str, html: str) -> None:
        log = await self.addLog(name, "h")
        log.add_text(html)
        await log.finish()

    @property
    def _logs(self) -> dict[str, StepLog]:
        logs: dict[str, StepLog] | None = self.__dict__.get("_step_logs")
        if logs is None:
            logs = self.__dict__["_step_logs"] = {}
        return logs

    # -- commands ----------------------------------------------------------------

    async def run_command(
        self,
        command_name: str,
        args: dict[str, Any],
        *,
        log: StepLog | None = None,
        logfiles: Mapping[str, Any] | None = None,
        on_output: Callable[[str, str], object] | None = None,
    ) -> CommandResult:
        """Run one worker command for this build and return its result.

        stdout/stderr/header go to ``log`` (default: the ``stdio`` log,
        opened on first use) unless ``on_output(stream, text)`` is given, in
        which case it sees them too. Output of ``logfiles`` (name -> file
        on the worker; also sent to the worker as ``args["logfiles"]``) goes
        to logs of those names. A non-zero exit is a normal result
        (``result.rc``); a lost worker raises ``WorkerLostError`` and a
        command the worker refused raises ``RemoteCommandError``. A step
        interrupted while the command runs gets ``result.interrupted``.
        """
        if self._interrupted is not None:
            return CommandResult(rc=-1, interrupted=True)
        if logfiles:
            args = {**args, "logfiles": dict(logfiles)}
        router = await self.build.logs.router(self, log, args.get("logfiles") or {}, on_output)
        command = RemoteCommand(command_name, args, on_output=router.write)
        self._command = command
        try:
            return await command.run(self.build.connection, self.builder_name)
        finally:
            self._command = None
            await router.flush()

    # -- status --------------------------------------------------------------------

    async def set_state_string(self, text: str) -> None:
        """The step's one-line status in the UI (secrets are redacted)."""
        await self.build.set_step_state(self, text)

    async def add_url(self, name: str, url: str) -> None:
        await self.build.add_step_url(self, name, url)

    addURL = add_url  # Buildbot spelling used by custom steps

    def interrupt(self, reason: str) -> None:
        """Stop the running command (if any); ``run`` should then return CANCELLED."""
        if self._interrupted is not None:
            return
        self._interrupted = reason
        if self._command is not None:
            self.build.background(self._command.interrupt(reason))

    def abandon(self, reason: str) -> None:
        """Interrupt the step and stop waiting for its running command (see ``Build.abandon``)."""
        self.interrupt(reason)
        if self._command is not None:
            self._command.abandon()

    @property
    def interrupted(self) -> bool:
        return self._interrupted is not None

    _interrupted: str | None = None
    _command: RemoteCommand | None = None

    async def getFileContentFromWorker(self, path: str, maxsize: int | None = None) -> str:
        """The text of ``path`` (relative to the workdir) on the worker, read by upload."""
        from marid.process.workerfile import read_worker_file  # a transfer-only dependency

        text: str = await read_worker_file(self, path, maxsize)
        return text

    # -- text ------------------------------------------------------------------------

    def describe(self, done: bool = False) -> str:
        """The status line: ``descriptionDone`` (or ``description``) plus the suffix."""
        text: Any = self.descriptionDone if done and self.descriptionDone else self.description
        if text is None:
            text = self.name
        if isinstance(text, list | tuple):
            text = " ".join(str(part) for part in text)
        suffix = self.descriptionSuffix
        if suffix:
            if isinstance(suffix, list | tuple):
                suffix = " ".join(str(part) for part in suffix)
            text = f"{text} {suffix}"
        return str(text)

    def getResultSummary(self) -> dict[str, str]:
        """Override to choose the finished status text: ``{"step": "..."}``."""
        return {}

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.name!r}>"
