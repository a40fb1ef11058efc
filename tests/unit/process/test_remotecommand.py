"""RemoteCommand gathers a worker's update stream and ends with ``complete``."""

from __future__ import annotations

from twisted.internet import defer
from twisted.spread import pb

from marid.process.remotecommand import (
    CommandResult,
    RemoteCommand,
    RemoteCommandError,
    WorkerLostError,
)
from marid.testing.worker_connection import FakeConnection


def start(cmd: RemoteCommand, conn: FakeConnection) -> defer.Deferred[CommandResult]:
    return defer.Deferred.fromCoroutine(cmd.run(conn, "b1"))


def test_output_rc_and_elapsed_are_gathered_in_order() -> None:
    conn = FakeConnection()
    output: list[tuple[str, str]] = []
    cmd = RemoteCommand(
        "shell", {"command": ["echo", "hi"]}, on_output=lambda s, t: output.append((s, t))
    )
    running = start(cmd, conn)
    (started,) = conn.started
    assert (started.builder_name, started.command_name, started.command_id) == (
        "b1",
        "shell",
        cmd.command_id,
    )
    assert started.args == {"command": ["echo", "hi"]}
    conn.send(started, {"header": "echo hi\n"}, {"stdout": b"hi\n"})
    conn.send(started, {"rc": 0}, {"elapsed": 0.5})
    # a trailing partial line may come after rc
    conn.send(started, {"stderr": "late\n"})
    assert not running.called
    conn.complete(started)
    result = running.result
    assert result.rc == 0 and result.elapsed == 0.5 and result.succeeded
    assert output == [("header", "echo hi\n"), ("stdout", "hi\n"), ("stderr", "late\n")]


def test_several_keys_per_update_and_file_results() -> None:
    conn = FakeConnection()
    cmd = RemoteCommand("glob", {"path": "*.txt"})
    running = start(cmd, conn)
    started = conn.started[0]
    highest = started.command_ref.remote_update([[{"files": [b"/a.txt", "/b.txt"], "rc": 0}, 3]])
    assert highest == 3
    conn.complete(started)
    assert running.result.files == ["/a.txt", "/b.txt"]


def test_log_updates_are_named_after_the_logfile() -> None:
    conn = FakeConnection()
    output: list[tuple[str, str]] = []
    cmd = RemoteCommand("shell", {}, on_output=lambda s, t: output.append((s, t)))
    running = start(cmd, conn)
    conn.send(
        conn.started[0], {"log": ("test.log", "line\n")}, {"rc": 1, "failure_reason": "timeout"}
    )
    conn.complete(conn.started[0])
    assert output == [("log:test.log", "line\n")]
    assert running.result.rc == 1 and running.result.failure_reason == "timeout"
    assert not running.result.succeeded


def test_lost_connection_fails_the_command() -> None:
    conn = FakeConnection()
    failures: list[BaseException] = []
    start(RemoteCommand("shell", {}), conn).addErrback(lambda f: failures.append(f.value))
    conn.disconnect()
    assert isinstance(failures[0], WorkerLostError)
    assert conn._watchers == []


def test_refused_start_is_a_command_error() -> None:
    conn = FakeConnection(
        refuse_with=pb.RemoteError("exceptions.KeyError", "unrecognized WorkerCommand 'x'", "")
    )
    failure: list[BaseException] = []
    start(RemoteCommand("x", {}), conn).addErrback(lambda f: failure.append(f.value))
    assert isinstance(failure[0], RemoteCommandError)
    assert "unrecognized WorkerCommand" in str(failure[0])


def test_interrupt_asks_the_worker_and_marks_the_result() -> None:
    conn = FakeConnection()
    cmd = RemoteCommand("shell", {})
    running = start(cmd, conn)
    defer.Deferred.fromCoroutine(cmd.interrupt("stopped by user"))
    assert conn.interrupted == [("b1", cmd.command_id, "stopped by user")]
    conn.send(conn.started[0], {"rc": -1})
    conn.complete(conn.started[0])
    assert running.result.interrupted and not running.result.succeeded


def test_complete_with_a_failure_raises() -> None:
    conn = FakeConnection()
    failures: list[BaseException] = []
    start(RemoteCommand("shell", {}), conn).addErrback(lambda f: failures.append(f.value))
    conn.complete(conn.started[0], failure="boom")
    assert isinstance(failures[0], RemoteCommandError)


def test_an_abandoned_command_ends_at_once_as_interrupted_and_a_late_complete_is_ignored() -> None:
    conn = FakeConnection()
    cmd = RemoteCommand("shell", {})
    running = start(cmd, conn)
    cmd.abandon()
    assert running.called and running.result.interrupted and not running.result.succeeded
    assert conn._watchers == []  # it no longer watches the connection
    conn.send(conn.started[0], {"rc": 0})
    conn.complete(conn.started[0])
    assert running.result.interrupted
