"""Filesystem commands: ``mkdir``, ``rmdir``, ``cpdir``, ``stat``, ``glob``, ``listdir``,
``rmfile``.

The quick ones run in the reactor thread and answer with ``rc`` 0 or the
failing call's errno (with a header naming the error). ``rmdir`` and
``cpdir`` can take minutes on a big tree, so they run ``rm -rf`` and
``cp -R -P -p -v`` as child processes, which keeps the worker responsive and
makes ``timeout``, ``maxTime`` and interrupts work as they do for ``shell``.
"""

from __future__ import annotations

import glob
import os
from typing import Any

from marid_worker.commands.base import Command, errno_of
from marid_worker.commands.shell import ShellCommand


def _paths(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    return [str(item) for item in value]


class _QuickCommand(Command):
    """A command that is one filesystem call; an OSError becomes header + errno ``rc``."""

    async def run(self) -> None:
        try:
            self.act()
        except OSError as error:
            where = error.filename or ""
            self.fail(errno_of(error), f"{self.name}: {error.strerror}: {where}", key="header")
            return
        self.updates.send("rc", 0)

    def act(self) -> None:
        raise NotImplementedError


class MakeDirectory(_QuickCommand):
    name = "mkdir"
    required_args = ("dir",)

    def act(self) -> None:
        for path in _paths(self.args["dir"]):
            os.makedirs(self.path(path), exist_ok=True)


class RemoveFile(_QuickCommand):
    name = "rmfile"
    required_args = ("path",)

    def act(self) -> None:
        os.remove(self.path(self.args["path"]))


class StatFile(_QuickCommand):
    name = "stat"
    required_args = ("file",)

    def act(self) -> None:
        result = os.stat(self.path(self.args.get("workdir"), self.args["file"]))
        self.updates.send("stat", tuple(result))


class GlobFiles(_QuickCommand):
    name = "glob"
    required_args = ("path",)

    def act(self) -> None:
        pattern = str(self.path(self.args["path"]))
        self.updates.send("files", sorted(glob.glob(pattern, recursive=True)))


class ListDirectory(_QuickCommand):
    name = "listdir"
    required_args = ("dir",)

    def act(self) -> None:
        self.updates.send("files", sorted(os.listdir(self.path(self.args["dir"]))))


class _ToolRun(ShellCommand):
    """A :class:`ShellCommand` whose ``rc`` is kept for its caller instead of sent."""

    rc = -1

    def report_rc(self, rc: int) -> None:
        self.rc = rc


class _ToolCommand(Command):
    """Runs fixed tools one after the other, in the builder directory, stopping at a failure."""

    default_timeout = 120.0

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._current: _ToolRun | None = None

    def argvs(self) -> list[list[str]]:
        raise NotImplementedError

    async def run(self) -> None:
        for argv in self.argvs():
            rc = await self._run_tool(argv)
            if rc != 0 or self.interrupted:
                self.updates.send("rc", rc)
                return
        self.updates.send("rc", 0)

    async def _run_tool(self, argv: list[str]) -> int:
        args = {
            "workdir": str(self.context.builder_dir),
            "command": argv,
            "timeout": self.args.get("timeout", self.default_timeout),
            "maxTime": self.args.get("maxTime"),
            "logEnviron": False,
        }
        self._current = _ToolRun(self.context, self.command_id, args, self.updates)
        await self._current.run()
        return self._current.rc

    def interrupt(self, why: str) -> None:
        super().interrupt(why)
        if self._current is not None and not self.finished:
            self._current.interrupt(why)


class RemoveDirectory(_ToolCommand):
    name = "rmdir"
    required_args = ("dir",)

    def argvs(self) -> list[list[str]]:
        return [["rm", "-rf", "--", str(self.path(path))] for path in _paths(self.args["dir"])]

    async def _run_tool(self, argv: list[str]) -> int:
        rc = await super()._run_tool(argv)
        if rc not in (0, -1) and not self.interrupted:
            # Read-only directories inside the tree stop rm: open them up and try again.
            await super()._run_tool(["chmod", "-Rf", "u+rwx", argv[-1]])
            rc = await super()._run_tool(argv)
        return rc


class CopyDirectory(_ToolCommand):
    name = "cpdir"
    required_args = ("fromdir", "todir")

    def argvs(self) -> list[list[str]]:
        source, target = self.path(self.args["fromdir"]), self.path(self.args["todir"])
        return [["cp", "-R", "-P", "-p", "-v", "--", str(source), str(target)]]
