"""What every worker command shares: arguments, paths, the run/interrupt life cycle.

A command is created by ``WorkerForBuilder.remote_startCommand`` with the
arguments the master sent, then :func:`execute` runs it: the command's
:meth:`Command.run` sends its updates (always ``rc`` among them), then
``elapsed`` follows unless the command was interrupted, then
``cmdref.complete(None)``. An unexpected exception inside a command is logged
and reported to the master as ``complete(failure)``, which a Buildbot master
shows as an EXCEPTION result.

Paths in arguments are relative to the builder directory
``BASEDIR/<builddir>``; an absolute path is used as it is.
"""

from __future__ import annotations

import os
from abc import ABC, abstractmethod
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from twisted.logger import Logger
from twisted.python.failure import Failure

from marid_worker.commands.stream import UpdateStream
from marid_worker.errors import CommandArgumentError
from marid_worker.reactors import ProcessReactor
from marid_worker.wire import RemoteRef, call, wire_failure

log = Logger()


@dataclass(frozen=True)
class CommandContext:
    """Where a command runs: the builder directory and the reactor."""

    builder_dir: Path
    reactor: ProcessReactor


class Command(ABC):
    """One remote command. Subclasses set :attr:`name` and implement :meth:`run`."""

    name: ClassVar[str]
    required_args: ClassVar[tuple[str, ...]] = ()

    def __init__(
        self,
        context: CommandContext,
        command_id: str,
        args: Mapping[str, Any],
        updates: UpdateStream,
    ):
        missing = [name for name in self.required_args if args.get(name) is None]
        if missing:
            raise CommandArgumentError(f"{self.name} is missing args: {', '.join(missing)}")
        self.context = context
        self.command_id = command_id
        self.args = dict(args)
        self.updates = updates
        self.interrupted = False
        self.finished = False

    @property
    def reactor(self) -> ProcessReactor:
        return self.context.reactor

    def path(self, *parts: str | None) -> Path:
        """A path from the arguments, relative to the builder directory unless absolute."""
        path = self.context.builder_dir
        for part in parts:
            if part:
                path = path / os.path.expanduser(part)
        return path

    @abstractmethod
    async def run(self) -> None:
        """Do the work, sending updates; must send ``rc``."""

    def interrupt(self, why: str) -> None:
        """Stop as soon as possible; ``run`` still ends by sending ``rc``. No-op once finished."""
        if not self.finished:
            self.interrupted = True

    def fail(self, rc: int, message: str, key: str = "stderr") -> None:
        """Report an error: ``message`` on ``key`` (a line), then ``rc``."""
        self.updates.send(key, message if message.endswith("\n") else message + "\n")
        self.updates.send("rc", rc)


async def execute(command: Command, remote: RemoteRef) -> None:
    """Run ``command`` to its end and tell the master: updates, ``elapsed``, ``complete``."""
    updates = command.updates
    started = command.reactor.seconds()
    failure: Failure | None = None
    try:
        await command.run()
    except Exception as error:
        failure = Failure()
        log.failure(
            "command {name} ({id}) failed", failure, name=command.name, id=command.command_id
        )
        updates.header(f"marid-worker: {command.name} failed: {error!r}\n")
    command.finished = True
    if failure is None and not command.interrupted:
        updates.send("elapsed", command.reactor.seconds() - started)
    await updates.finish()
    if updates.lost:
        return
    try:
        await call(remote, "complete", None if failure is None else wire_failure(failure))
    except Exception as error:
        log.info(
            "could not report the end of command {id}: {error}", id=command.command_id, error=error
        )


def errno_of(error: OSError) -> int:
    """The errno to report as ``rc`` for a failed filesystem operation (never 0)."""
    return error.errno or 1
