"""``ShellSequence``: several shell commands in one step, each an ``util.ShellArg``.

Each ``ShellArg(command, logname=None, **flags)`` runs in order with the
step's settings; its output goes to the log ``logname`` (default
``stdio``). Its result folds into the step's with the ShellArg's own flags
(``haltOnFailure`` stops the sequence; ``flunkOnFailure`` is on by default, as
in Buildbot). ``commands`` may be a renderable giving the list.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from marid.config.origin import ConfigObject
from marid.process.renderables import check_renderables, is_renderable
from marid.process.results import CANCELLED, EXCEPTION, SUCCESS, compute_result_and_termination
from marid.steps.shell import ShellMixin, command_text, flatten_command

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector


class ShellArg(ConfigObject):
    """One command of a ``ShellSequence`` and how its result counts."""

    def __init__(
        self,
        command: Any = None,
        logname: Any = None,
        *,
        haltOnFailure: bool = False,
        flunkOnFailure: bool = True,
        warnOnFailure: bool = False,
        warnOnWarnings: bool = False,
        flunkOnWarnings: bool = False,
        **unknown: Any,
    ) -> None:
        self.command = command
        self.logname = logname
        self.haltOnFailure = haltOnFailure
        self.flunkOnFailure = flunkOnFailure
        self.warnOnFailure = warnOnFailure
        self.warnOnWarnings = warnOnWarnings
        self.flunkOnWarnings = flunkOnWarnings
        self._unknown = unknown

    def check_config(self, errors: ErrorCollector) -> None:
        for keyword in sorted(self._unknown):
            errors.add(f"ShellArg: unknown argument {keyword!r}", key="builders", about=self)
        if self.command is None or self.command in ("", []):
            errors.add("ShellArg: a command is required", key="builders", about=self)
        elif not isinstance(self.command, str | list | tuple) and not is_renderable(self.command):
            errors.add("ShellArg: command must be a string or a list", key="builders", about=self)
        check_renderables([self.command, self.logname], errors)


class ShellSequence(ShellMixin):
    """Run ``commands`` (ShellArgs) one after the other."""

    name = "shellsequence"
    renderables: ClassVar[tuple[str, ...]] = ("commands",)

    def __init__(self, commands: Any = None, **kwargs: Any) -> None:
        super().__init__(command="(sequence)", **kwargs)
        self.commands = commands

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if self.commands is None:
            errors.add("ShellSequence: commands are required", key="builders", about=self)
        elif isinstance(self.commands, list | tuple):
            for item in self.commands:
                if not isinstance(item, ShellArg):
                    errors.add(
                        f"ShellSequence: commands must be util.ShellArg, not {item!r}",
                        key="builders",
                        about=self,
                    )
            check_renderables(list(self.commands), errors)
        elif not is_renderable(self.commands):
            errors.add("ShellSequence: commands must be a list", key="builders", about=self)

    async def run(self) -> int:
        commands = self.commands
        if not isinstance(commands, list | tuple):
            raise TypeError(f"commands rendered to {commands!r}, not a list of ShellArg")
        overall = SUCCESS
        for arg in commands:
            if not isinstance(arg, ShellArg):
                raise TypeError(f"ShellSequence commands must be util.ShellArg, not {arg!r}")
            command = flatten_command(await self.render(arg.command))
            logname = await self.render(arg.logname) or "stdio"
            log = self._logs.get(logname) or await self.addLog(logname)
            await self.set_state_string(f"'{command_text(command)}'")
            result = await self.run_shell(command, log=log)
            outcome = self.result_of(result)
            if outcome in (CANCELLED, EXCEPTION):
                return outcome
            overall, terminate = compute_result_and_termination(arg, outcome, overall)
            if terminate:
                break
        return overall

    def describe(self, done: bool = False) -> str:
        if self.description is None and self.descriptionDone is None:
            return self.name
        return super().describe(done)
