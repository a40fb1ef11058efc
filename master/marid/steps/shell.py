"""Shell steps: ``ShellCommand`` and its named relatives ``Configure``, ``Compile``, ``Test``.

``ShellMixin`` holds what every step running a ``shell`` command on the worker
shares: the ``command`` (a string run by the shell, or a list run directly;
nested lists are flattened and items made strings) and Buildbot's shell
keywords ``want_stdout``, ``want_stderr``, ``usePTY``, ``logEnviron``,
``sigtermTime``, ``initialStdin``, on top of the common step keywords
(``workdir``, ``env``, ``timeout``, ``maxTime``, ``max_lines``, ``logfiles``,
``interruptSignal``, ``decodeRC``). The environment is the builder's ``env``
updated with the step's. The result is ``decodeRC`` of the exit code, FAILURE
for a timeout, CANCELLED when the build was stopped.

``Compile`` and ``Test`` count warnings in their output (``warnings.py``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from marid.process.buildstep import BuildStep
from marid.process.remotecommand import CommandResult
from marid.process.renderables import is_renderable
from marid.process.results import CANCELLED, FAILURE, Results
from marid.process.steplog import StepLog
from marid.steps.warnings import WarningCounter

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector


def flatten_command(command: Any) -> Any:
    """A list command with nested lists flattened and items as strings; a string as it is."""
    if isinstance(command, list | tuple):
        flat: list[str] = []
        for item in command:
            if isinstance(item, list | tuple):
                flat.extend(flatten_command(item))
            elif item is not None:
                flat.append(item if isinstance(item, str) else str(item))
        return flat
    return command


def command_text(command: Any, limit: int = 60) -> str:
    text = command if isinstance(command, str) else " ".join(str(c) for c in command or [])
    return text if len(text) <= limit else text[: limit - 3] + "..."


class ShellMixin(BuildStep):
    """A step that runs shell commands on the worker; see the module docstring."""

    renderables: ClassVar[tuple[str, ...]] = ("command", "initialStdin")
    command: Any = None

    def __init__(
        self,
        *,
        command: Any = None,
        want_stdout: bool = True,
        want_stderr: bool = True,
        usePTY: bool | None = None,
        logEnviron: bool = True,
        sigtermTime: float | None = None,
        initialStdin: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        if command is not None:
            self.command = command
        self.want_stdout = want_stdout
        self.want_stderr = want_stderr
        self.usePTY = usePTY
        self.logEnviron = logEnviron
        self.sigtermTime = sigtermTime
        self.initialStdin = initialStdin

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        command = self.command
        if command is None or command in ("", []):
            errors.add(f"{type(self).__name__}: a command is required", key="builders", about=self)
        elif not isinstance(command, str | list | tuple) and not is_renderable(command):
            errors.add(
                f"{type(self).__name__}: command must be a string or a list, "
                f"not {type(command).__name__}",
                key="builders",
                about=self,
            )

    async def shell_args(self, command: Any) -> dict[str, Any]:
        """The ``shell`` command's arguments for ``command`` (already rendered)."""
        env = dict(await self.render(self.build.builder.config.env) or {})
        env.update(self.env or {})
        args: dict[str, Any] = {
            "workdir": self.workdir or self.build.workdir,
            "command": flatten_command(command),
            "env": env or None,
            "want_stdout": self.want_stdout,
            "want_stderr": self.want_stderr,
            "logfiles": dict(self.logfiles or {}),
            "timeout": self.timeout,
            "maxTime": self.maxTime,
            "max_lines": self.max_lines,
            "sigtermTime": self.sigtermTime,
            "usePTY": bool(self.usePTY),
            "logEnviron": self.logEnviron,
            "initial_stdin": self.initialStdin,
            "interruptSignal": self.interruptSignal,
        }
        return args

    async def run_shell(
        self, command: Any, *, log: StepLog | None = None, on_output: Any = None
    ) -> CommandResult:
        """Run ``command`` with this step's settings; output to ``log`` (default ``stdio``)."""
        return await self.run_command(
            "shell", await self.shell_args(command), log=log, on_output=on_output
        )

    def result_of(self, result: CommandResult) -> Results:
        """The step result of one command: CANCELLED, FAILURE on a timeout, else ``decodeRC``."""
        if result.interrupted or self.interrupted:
            return CANCELLED
        if result.failure_reason in ("timeout", "timeout_without_output", "max_lines_failure"):
            return FAILURE
        return self.outcome_of_rc(result.rc)


class ShellCommand(ShellMixin):
    """Run one command on the worker."""

    name = "shell"

    def describe(self, done: bool = False) -> str:
        if self.description is None and self.descriptionDone is None and self.command:
            text = f"'{command_text(flatten_command(self.command))}'"
            return f"{text} {self.descriptionSuffix}" if self.descriptionSuffix else text
        return super().describe(done)

    async def run(self) -> int:
        return self.result_of(await self.run_shell(self.command))


class Configure(ShellCommand):
    name = "configure"
    haltOnFailure = True
    flunkOnFailure = True
    description = "configuring"
    descriptionDone = "configure"
    command = ["./configure"]


class WarningCountingShellCommand(ShellCommand):
    """A shell command whose output is searched for warnings; see ``warnings.py``."""

    def __init__(
        self,
        *,
        warningPattern: Any = None,
        warningExtractor: Any = None,
        suppressionList: Any = None,
        suppressionFile: Any = None,
        maxWarnCount: int | None = None,
        directoryEnterPattern: Any = None,
        directoryLeavePattern: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.warningPattern = warningPattern
        self.warningExtractor = warningExtractor
        self.suppressionList = suppressionList
        self.suppressionFile = suppressionFile
        self.maxWarnCount = maxWarnCount
        self.directoryEnterPattern = directoryEnterPattern
        self.directoryLeavePattern = directoryLeavePattern

    warnExtractWholeLine = staticmethod(WarningCounter.whole_line)
    warnExtractFromRegexpGroups = staticmethod(WarningCounter.regexp_groups)

    async def run(self) -> int:
        suppressions = list(self.suppressionList or [])
        if self.suppressionFile is not None:
            path = await self.render(self.suppressionFile)
            text = await self.getFileContentFromWorker(str(path))
            suppressions += WarningCounter.parse_suppressions(text)
        counter = WarningCounter(self.warningPattern, self.warningExtractor, suppressions)
        result = await self.run_shell(self.command, on_output=counter.feed)
        counter.finish()
        outcome = self.result_of(result)
        if counter.warnings:
            await self.addCompleteLog(f"warnings ({len(counter.warnings)})", counter.text())
        total = (self.getProperty("warnings-count", 0) or 0) + len(counter.warnings)
        self.setProperty("warnings-count", total, "WarningCountingShellCommand")
        if outcome == Results.SUCCESS and counter.warnings:
            outcome = Results.WARNINGS
        if self.maxWarnCount is not None and len(counter.warnings) > self.maxWarnCount:
            outcome = Results(max(outcome, FAILURE)) if outcome != CANCELLED else outcome
        self._warning_count = len(counter.warnings)
        return outcome

    _warning_count = 0

    def getResultSummary(self) -> dict[str, str]:
        if self._warning_count:
            return {"step": f"{self.describe(done=True)} ({self._warning_count} warnings)"}
        return {}


class Compile(WarningCountingShellCommand):
    name = "compile"
    haltOnFailure = True
    flunkOnFailure = True
    description = "compiling"
    descriptionDone = "compile"
    command = ["make", "all"]


class Test(WarningCountingShellCommand):
    name = "test"
    warnOnFailure = True
    description = "testing"
    descriptionDone = "test"
    command = ["make", "test"]

    def setTestResults(
        self, total: int = 0, failed: int = 0, passed: int = 0, warnings: int = 0
    ) -> None:
        """Add these counts to the build's ``tests-*`` properties (for custom test steps)."""
        for key, value in (
            ("tests-total", total),
            ("tests-failed", failed),
            ("tests-passed", passed),
            ("tests-warnings", warnings),
        ):
            self.setProperty(key, (self.getProperty(key, 0) or 0) + value, "Test")
