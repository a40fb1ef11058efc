"""``WorkerForBuilder``: the object a master holds for each of its builders on this worker.

It runs one command at a time in the builder directory ``BASEDIR/<builddir>``.
A ``startCommand`` while a command still runs is refused with
``BuilderBusy`` (logged here, and a PB error on the master, which shows it on
the step) and the running command goes on: two commands in one directory
would spoil each other's work, and a master only asks when it has lost track
of its builds (``buildbot-worker`` instead kills the old command). A command
that was interrupted because its connection was lost still counts until its
process has exited. An unknown command name is refused with
``unrecognized WorkerCommand 'x'``. ``startCommand`` answers as
soon as the command has started; the command reports through the ``cmdref``
the master passed.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.logger import Logger

from marid_worker.commands import COMMANDS, Command, CommandContext, execute
from marid_worker.commands.stream import UpdateStream
from marid_worker.errors import BuilderBusy, CommandArgumentError, UnknownCommand
from marid_worker.reactors import ProcessReactor
from marid_worker.wire import Exposed, RemoteRef

log = Logger()


class WorkerForBuilder(Exposed):
    """Runs the commands of one builder."""

    def __init__(self, name: str, builder_dir: Path, reactor: ProcessReactor):
        self.name = name
        self.builder_dir = builder_dir
        self._reactor = reactor
        self.command: Command | None = None
        self.retired: str | None = None  # why the Bot dropped this builder
        self._running: set[Deferred[None]] = set()

    def remote_startBuild(self) -> None:
        """Nothing to prepare: commands carry everything they need."""

    def remote_print(self, message: str) -> None:
        log.info("message from master to {builder}: {message}", builder=self.name, message=message)

    def remote_startCommand(
        self, cmdref: RemoteRef, command_id: Any, command_name: Any, args: Any
    ) -> None:
        command_id, command_name = _text(command_id), _text(command_name)
        factory = COMMANDS.get(command_name)
        if factory is None:
            raise UnknownCommand(
                f"(command {command_id}): unrecognized WorkerCommand '{command_name}'"
            )
        if not isinstance(args, dict):
            raise CommandArgumentError(f"{command_name}: args must be a dict")
        self._refuse_if_busy(command_id, command_name)
        updates = UpdateStream(cmdref, self._reactor)
        context = CommandContext(self.builder_dir, self._reactor)
        command = factory(context, command_id, {_text(k): v for k, v in args.items()}, updates)
        updates.on_lost = lambda: command.interrupt("the connection to the master was lost")
        self.command = command
        log.info(
            "{builder}: starting command {id}: {name}",
            builder=self.name,
            id=command_id,
            name=command_name,
        )
        running = Deferred.fromCoroutine(self._execute(command, cmdref))
        if not running.called:
            self._running.add(running)
            running.addBoth(lambda _: self._running.discard(running))

    def _refuse_if_busy(self, command_id: str, command_name: str) -> None:
        if self.retired is not None:
            message = (
                f"builder {self.name!r} is no longer served by this worker ({self.retired});"
                f" refusing command {command_id} ({command_name})"
            )
            log.error("{message}", message=message)
            raise BuilderBusy(message)
        running = self.command
        if running is None or running.finished:
            return
        state = "from a lost connection, being killed" if running.updates.lost else "running"
        message = (
            f"builder {self.name!r} is still running command {running.command_id}"
            f" ({running.name}, {state}); refusing command {command_id} ({command_name}):"
            " a worker runs one command per builder at a time"
        )
        log.error("{message}", message=message)
        raise BuilderBusy(message)

    async def _execute(self, command: Command, cmdref: RemoteRef) -> None:
        try:
            await execute(command, cmdref)
        finally:
            if self.command is command:
                self.command = None

    def remote_interruptCommand(self, command_id: Any, why: Any) -> None:
        command_id = _text(command_id)
        if self.command is None or self.command.command_id != command_id:
            log.info(
                "{builder}: asked to interrupt command {id}, which is not running",
                builder=self.name,
                id=command_id,
            )
            return
        log.info(
            "{builder}: interrupting command {id}: {why}", builder=self.name, id=command_id, why=why
        )
        self.command.interrupt(_text(why))

    def stop(self, why: str) -> None:
        """Kill the running command and drop its updates (the master is gone or the builder)."""
        if self.command is not None:
            self.command.updates.mark_lost()
            self.command.interrupt(why)

    def retire(self, why: str) -> None:
        """The builder is gone from this worker: kill its command and refuse any new one."""
        self.retired = why
        self.stop(why)

    async def wait_idle(self) -> None:
        """Wait until the commands started here have finished."""
        while self._running:
            await next(iter(self._running))


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
