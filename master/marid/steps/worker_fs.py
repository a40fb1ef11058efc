"""Worker file-system steps: ``MakeDirectory``, ``RemoveDirectory``, ``CopyDirectory``,
``FileExists``.

As in Buildbot, their paths are relative to the builder directory on the
worker (``WORKERBASE/<builddir>``), not to the step's work directory: write
``RemoveDirectory("build/dist")``. Absolute paths are used as they are.

Each is one worker command (``mkdir``, ``rmdir``, ``cpdir``, ``stat``); a
non-zero ``rc`` (an errno for the quick commands) fails the step with the
worker's message in the ``stdio`` log and a status line saying what failed.
``FileExists`` succeeds only for a regular file.
"""

from __future__ import annotations

import errno
import os
import stat
from typing import Any, ClassVar, NoReturn

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.remotecommand import CommandResult
from marid.process.renderables import is_renderable
from marid.process.results import CANCELLED, SUCCESS


class WorkerFileStep(BuildStep):
    """One file-system command on the worker; subclasses name their path arguments."""

    haltOnFailure = True
    flunkOnFailure = True
    path_arguments: ClassVar[tuple[str, ...]] = ()

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        for label in self.path_arguments:
            value = getattr(self, label)
            if not value:
                self._config_error(errors, f"{label} is required")
            elif not isinstance(value, str) and not is_renderable(value):
                self._config_error(errors, f"{label} must be a worker path, not {value!r}")

    def _config_error(self, errors: ErrorCollector, message: str) -> None:
        errors.add(f"{type(self).__name__} {self.name!r}: {message}", key="builders", about=self)

    async def fail(self, message: str) -> NoReturn:
        log = await self.getLog("stdio")
        log.add_header(message + "\n")
        raise StepFailed(message)

    async def path(self, label: str) -> str:
        value = getattr(self, label)
        if not isinstance(value, str) or not value:
            await self.fail(f"{label} rendered to {value!r}, not a path")
        return value

    async def command(self, name: str, args: dict[str, Any], what: str) -> CommandResult:
        """Run ``name``; raise ``StepFailed`` naming ``what`` unless it succeeded."""
        result = await self.run_command(name, {**args, "logEnviron": False})
        if not result.interrupted and not self.interrupted and result.rc != 0:
            await self.fail(f"{what} failed ({_reason(name, result.rc)})")
        return result

    def outcome(self, result: CommandResult) -> int:
        return CANCELLED if result.interrupted or self.interrupted else SUCCESS


class MakeDirectory(WorkerFileStep):
    """Create ``dir`` (and its parents) on the worker."""

    name = "MakeDirectory"
    description = "creating"
    descriptionDone = "created"
    renderables: ClassVar[tuple[str, ...]] = ("dir",)
    path_arguments = ("dir",)

    def __init__(self, dir: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dir = dir

    async def run(self) -> int:
        path = await self.path("dir")
        return self.outcome(await self.command("mkdir", {"dir": path}, f"creating {path}"))


class RemoveDirectory(WorkerFileStep):
    """Remove ``dir`` and everything in it from the worker; a missing one is fine."""

    name = "RemoveDirectory"
    description = "deleting"
    descriptionDone = "deleted"
    renderables: ClassVar[tuple[str, ...]] = ("dir",)
    path_arguments = ("dir",)

    def __init__(self, dir: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.dir = dir

    async def run(self) -> int:
        path = await self.path("dir")
        args = {"dir": path, "timeout": self.timeout, "maxTime": self.maxTime}
        return self.outcome(await self.command("rmdir", args, f"removing {path}"))


class CopyDirectory(WorkerFileStep):
    """Copy the directory ``src`` to ``dest`` on the worker (``timeout`` default 120 s)."""

    name = "CopyDirectory"
    description = "copying"
    descriptionDone = "copied"
    renderables: ClassVar[tuple[str, ...]] = ("src", "dest")
    path_arguments = ("src", "dest")

    def __init__(self, src: Any = None, dest: Any = None, timeout: Any = 120, **kwargs: Any):
        super().__init__(timeout=timeout, **kwargs)
        self.src = src
        self.dest = dest

    async def run(self) -> int:
        src, dest = await self.path("src"), await self.path("dest")
        args = {"fromdir": src, "todir": dest, "timeout": self.timeout, "maxTime": self.maxTime}
        return self.outcome(await self.command("cpdir", args, f"copying {src} to {dest}"))


class FileExists(WorkerFileStep):
    """Succeed when ``file`` is a regular file on the worker; fail otherwise."""

    name = "FileExists"
    description = "checking"
    descriptionDone = "checked"
    renderables: ClassVar[tuple[str, ...]] = ("file",)
    path_arguments = ("file",)

    def __init__(self, file: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.file = file

    async def run(self) -> int:
        path = await self.path("file")
        result = await self.run_command("stat", {"file": path, "logEnviron": False})
        if result.interrupted or self.interrupted:
            return CANCELLED
        if result.rc != 0 or result.stat is None:
            await self.fail(f"file not found: {path}")
        if not stat.S_ISREG(int(result.stat[stat.ST_MODE])):
            await self.fail(f"not a file: {path}")
        self.descriptionDone = f"file found: {path}"
        return SUCCESS


def _reason(command: str, rc: int | None) -> str:
    """The error's name when ``rc`` is an errno (``mkdir``); the exit code otherwise."""
    if command == "mkdir" and rc is not None and rc > 0 and rc in errno.errorcode:
        return f"{os.strerror(rc)}, error {rc}"
    return f"exit code {rc}"
