"""``FakeConnection``: a worker connection whose worker side the test plays by hand.

    conn = FakeConnection()
    cmd = RemoteCommand("shell", {"command": "true"})
    running = Deferred.fromCoroutine(cmd.run(conn, "builder"))
    started = conn.started[-1]            # (builder, ref, id, name, args)
    conn.send(started, {"stdout": "hi\\n"}, {"rc": 0})
    conn.complete(started)
    result = await running

``disconnect()`` simulates a lost connection.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from twisted.internet import defer


@dataclass
class StartedCommand:
    builder_name: str
    command_ref: Any
    command_id: str
    command_name: str
    args: dict[str, Any]


@dataclass
class FakeConnection:
    name: str = "fake-worker"
    info: dict[str, Any] = field(default_factory=dict)
    started: list[StartedCommand] = field(default_factory=list)
    interrupted: list[tuple[str, str, str]] = field(default_factory=list)
    refuse_with: Exception | None = None
    _watchers: list[Callable[[], None]] = field(default_factory=list)

    def start_command(
        self,
        builder_name: str,
        command_ref: Any,
        command_id: str,
        command_name: str,
        args: dict[str, Any],
    ) -> defer.Deferred[Any]:
        if self.refuse_with is not None:
            return defer.fail(self.refuse_with)
        self.started.append(
            StartedCommand(builder_name, command_ref, command_id, command_name, args)
        )
        return defer.succeed(None)

    def interrupt_command(
        self, builder_name: str, command_id: str, why: str
    ) -> defer.Deferred[Any]:
        self.interrupted.append((builder_name, command_id, why))
        return defer.succeed(None)

    def notify_on_disconnect(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._watchers.append(callback)

        def cancel() -> None:
            if callback in self._watchers:
                self._watchers.remove(callback)

        return cancel

    # -- the worker's side, played by the test ------------------------------------

    def send(self, command: StartedCommand, *updates: dict[str, Any]) -> int:
        result: int = command.command_ref.remote_update([[u, 0] for u in updates])
        return result

    def complete(self, command: StartedCommand, failure: Any = None) -> None:
        command.command_ref.remote_complete(failure)

    def disconnect(self) -> None:
        for watcher in list(self._watchers):
            watcher()
