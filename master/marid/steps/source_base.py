"""``Source``: what every source checkout step shares (``Git`` is the one Marid ships).

A source step checks a codebase out into its work directory on the worker.
It picks what to check out from the build's source stamp for its
``codebase``: the stamp's branch (or the step's own default branch) and the
stamp's revision, unless ``alwaysUseLatest`` asks for the tip of the branch.
A build without a stamp for the codebase (a trigger with
``alwaysUseLatest``, say) checks out the tip of the step's branch, and says so
in the step's ``stdio`` log. A stamp with a patch fails the step: Marid does
not apply patches yet, and building without it would report on other code.
Subclasses implement ``run_vc(branch, revision)``.

The building blocks run worker commands: ``run_tool`` (a ``shell`` command
whose output goes to the ``stdio`` log, optionally also collecting stdout),
``exists``, ``remove_directory`` and ``copy_directory``. Any failure that
ends the checkout raises ``StepFailed`` with a message naming the command, so
the build shows why; an interrupt makes the step CANCELLED.

Properties: ``update_source_property`` sets ``got_revision`` and friends as
Buildbot does: a plain value for the default codebase ``""``, otherwise a
dict keyed by codebase, merged with what other codebases' steps set.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from twisted.internet import task

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.remotecommand import CommandResult
from marid.process.results import CANCELLED, SUCCESS
from marid.steps.paths import step_workdir


class Interrupted(Exception):
    """The step was interrupted while a command ran; the step ends CANCELLED."""


def shell_args(
    workdir: str,
    argv: Sequence[str],
    *,
    env: Mapping[str, Any] | None,
    timeout: float | None,
    max_time: float | None,
    log_environ: bool,
    interrupt_signal: str = "KILL",
) -> dict[str, Any]:
    """The ``shell`` command's arguments, every key as a Buildbot 4.3 master sends it."""
    return {
        "workdir": workdir,
        "command": list(argv),
        "env": dict(env) if env else None,
        "want_stdout": True,
        "want_stderr": True,
        "logfiles": {},
        "timeout": timeout,
        "maxTime": max_time,
        "max_lines": None,
        "sigtermTime": None,
        "usePTY": False,
        "logEnviron": log_environ,
        "initial_stdin": None,
        "interruptSignal": interrupt_signal,
    }


class Source(BuildStep):
    """Base class of source steps; see the module docstring.

    Keywords beyond the common ones: ``codebase`` (default ``""``),
    ``alwaysUseLatest`` (ignore the stamp's revision), ``retry``
    (``(delay_seconds, repeats)``: how often a failed clone is tried again)
    and ``logEnviron`` (show the environment in each command's header).
    """

    name = "source"
    description = "updating"
    descriptionDone = "update"
    haltOnFailure = True
    flunkOnFailure = True

    renderables: ClassVar[tuple[str, ...]] = ("codebase",)

    def __init__(
        self,
        *,
        codebase: Any = "",
        alwaysUseLatest: bool = False,
        retry: tuple[float, int] | None = None,
        logEnviron: bool = True,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.codebase = codebase
        self.alwaysUseLatest = alwaysUseLatest
        self.retry = retry
        self.logEnviron = logEnviron

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)

        def bad(message: str) -> None:
            errors.add(
                f"{type(self).__name__} {self.name!r}: {message}", key="builders", about=self
            )

        if not isinstance(self.alwaysUseLatest, bool):
            bad("alwaysUseLatest must be True or False")
        if not isinstance(self.logEnviron, bool):
            bad("logEnviron must be True or False")
        if self.retry is not None and not _is_retry(self.retry):
            bad(f"retry must be (delay_seconds, repeats), not {self.retry!r}")

    # -- what to check out -------------------------------------------------------

    @property
    def checkout_dir(self) -> str:
        """The work directory (relative to the builder directory) the checkout goes to."""
        return step_workdir(self)

    def sourcestamp(self) -> Mapping[str, Any] | None:
        """This codebase's source stamp in the build, or None when the build has none."""
        stamps = self.getProperties().render_context.sourcestamps
        return stamps.get(str(self.codebase or ""))

    async def run(self) -> int:
        stamp = self.sourcestamp()
        default_branch: str | None = getattr(self, "branch", None)
        branch = (stamp or {}).get("branch") or default_branch
        revision = None if self.alwaysUseLatest else (stamp or {}).get("revision")
        if (stamp or {}).get("patchid") is not None:
            message = "the source stamp carries a patch; Marid cannot apply patches yet"
            await self.note(message + "\n")
            raise StepFailed(message)
        try:
            if stamp is None:
                await self.note(
                    f"no source stamp for codebase {self.codebase!r}: "
                    f"checking out the tip of {branch or 'the default branch'}\n"
                )
            await self.run_vc(branch, revision)
        except Interrupted:
            return CANCELLED
        if self.interrupted:
            return CANCELLED
        return SUCCESS

    async def run_vc(self, branch: str | None, revision: str | None) -> None:
        """Check out ``revision`` (None: the tip) of ``branch``; raise ``StepFailed`` on failure."""
        raise NotImplementedError(f"{type(self).__name__} does not implement run_vc()")

    # -- building blocks -------------------------------------------------------------

    async def note(self, text: str) -> None:
        """Write a header line of our own into the ``stdio`` log."""
        log = await self.getLog("stdio")
        log.add_header(text)

    async def run_tool(
        self, argv: Sequence[str], *, workdir: str | None = None, collect: bool = False
    ) -> tuple[CommandResult, str]:
        """Run ``argv`` in ``workdir`` (default: the checkout) on the worker: (result, stdout).

        Output goes to the ``stdio`` log; stdout is also returned when
        ``collect``. Raises ``Interrupted`` when the step was interrupted.
        """
        stdout: list[str] = []

        def on_output(stream: str, text: str) -> None:
            if stream == "stdout":
                stdout.append(text)

        args = shell_args(
            workdir or self.checkout_dir,
            argv,
            env=await self.command_env(),
            timeout=self.timeout,
            max_time=self.maxTime,
            log_environ=self.logEnviron,
            interrupt_signal=str(self.interruptSignal or "KILL"),
        )
        log = await self.getLog("stdio")
        result = await self.run_command(
            "shell", args, log=log, on_output=on_output if collect else None
        )
        if result.interrupted or self.interrupted:
            raise Interrupted()
        return result, "".join(stdout)

    async def command_env(self) -> dict[str, Any]:
        """The builder's ``env`` updated with the step's, as shell commands get it."""
        builder_env = getattr(getattr(self.build.builder, "config", None), "env", None)
        env = dict(await self.render(builder_env) or {}) if builder_env else {}
        if isinstance(self.env, Mapping):
            env.update(self.env)
        return env

    async def must(self, argv: Sequence[str], *, workdir: str | None = None) -> str:
        """``run_tool`` that raises ``StepFailed`` naming the command unless it exits 0."""
        result, stdout = await self.run_tool(argv, workdir=workdir, collect=True)
        if result.rc != 0:
            raise StepFailed(f"{_short(argv)} failed ({_how(result)})")
        return stdout

    async def exists(self, path: str) -> bool:
        """Whether ``path`` (relative to the builder directory) exists on the worker."""
        result = await self.run_command("stat", {"file": path, "logEnviron": False}, log=None)
        if result.interrupted or self.interrupted:
            raise Interrupted()
        return result.rc == 0

    async def remove_directory(self, path: str) -> None:
        args = {"dir": path, "timeout": self.timeout, "maxTime": self.maxTime}
        result = await self.run_command("rmdir", {**args, "logEnviron": self.logEnviron})
        if result.interrupted or self.interrupted:
            raise Interrupted()
        if result.rc != 0:
            raise StepFailed(f"removing {path} failed ({_how(result)})")

    async def copy_directory(self, source: str, target: str) -> None:
        args = {
            "fromdir": source,
            "todir": target,
            "timeout": self.timeout,
            "maxTime": self.maxTime,
        }
        result = await self.run_command("cpdir", {**args, "logEnviron": self.logEnviron})
        if result.interrupted or self.interrupted:
            raise Interrupted()
        if result.rc != 0:
            raise StepFailed(f"copying {source} to {target} failed ({_how(result)})")

    async def sleep(self, seconds: float) -> None:
        await task.deferLater(self.master.reactor, seconds, lambda: None)

    def update_source_property(self, name: str, value: Any) -> None:
        """Set ``name`` for this codebase: a plain value for ``""``, else a dict by codebase."""
        codebase = str(self.codebase or "")
        source = type(self).__name__
        if not codebase:
            self.setProperty(name, value, source)
            return
        current = self.getProperty(name)
        merged = dict(current) if isinstance(current, Mapping) else {}
        merged[codebase] = value
        self.setProperty(name, merged, source)


def _is_retry(value: object) -> bool:
    if not isinstance(value, tuple | list) or len(value) != 2:
        return False
    delay, repeats = value
    numeric = isinstance(delay, int | float) and not isinstance(delay, bool)
    return numeric and delay >= 0 and isinstance(repeats, int) and repeats >= 0


def _short(argv: Sequence[str]) -> str:
    """``git fetch`` for ``['git', '-c', 'x=y', 'fetch', ...]``: the tool and its subcommand."""
    words = [argv[0]] if argv else []
    rest = list(argv[1:])
    while rest[:1] == ["-c"]:
        rest = rest[2:]
    return " ".join(words + rest[:1])


def _how(result: CommandResult) -> str:
    if result.failure_reason:
        return f"{result.failure_reason}, exit code {result.rc}"
    return f"exit code {result.rc}"
