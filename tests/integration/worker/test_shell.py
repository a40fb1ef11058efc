"""The ``shell`` command with real processes: output, rc, environment, limits, kills."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest
import pytest_twisted

from tests.integration.worker.conftest import Run, eventually, is_alive, run_command

pytestmark = pytest.mark.integration


def shell(command: object, **args: object) -> dict[str, object]:
    return {"workdir": "build", "command": command, "logEnviron": False, **args}


@pytest_twisted.ensureDeferred
async def test_output_streams_and_exit_code_in_order(builder_dir: Path) -> None:
    ref = await run_command(
        builder_dir, "shell", shell("echo out; echo err >&2; printf partial; exit 3")
    )
    assert ref.keys[0] == "header"
    assert ref.text("stdout") == "out\npartial\n"
    assert ref.text("stderr") == "err\n"
    assert ref.values("rc") == [3]
    assert ref.keys[-3:] == ["rc", "header", "elapsed"]
    assert ref.values("header")[-1].startswith("elapsedTime=")
    assert ref.completed == [None]
    assert (builder_dir / "build").is_dir()  # a missing workdir is created


@pytest_twisted.ensureDeferred
async def test_argv_lists_run_without_a_shell_and_hide_obfuscated_values(builder_dir: Path) -> None:
    ref = await run_command(
        builder_dir, "shell", shell(["printf", "%s|%s", ("obfuscated", "s3cret", "XXX"), "a b"])
    )
    assert ref.text("stdout") == "s3cret|a b\n"
    header = ref.values("header")[0]
    assert header.startswith("printf '%s|%s' XXX 'a b'\n")
    assert "s3cret" not in header


@pytest_twisted.ensureDeferred
async def test_environment_rules_reach_the_process(
    builder_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MARID_TEST_DROP", "dropped")
    monkeypatch.setenv("PYTHONPATH", "/worker/lib")
    env = {
        "MARID_TEST_DROP": None,
        "MARID_TEST_LIST": ["/a", "${HOME}"],
        "MARID_TEST_SUB": "home=${HOME}",
        "PYTHONPATH": "/step/lib",
    }
    command = (
        'echo "drop=${MARID_TEST_DROP-unset} list=$MARID_TEST_LIST sub=$MARID_TEST_SUB'
        ' py=$PYTHONPATH pwd=$PWD"'
    )
    ref = await run_command(builder_dir, "shell", shell(command, env=env, logEnviron=True))
    home = os.environ["HOME"]
    assert ref.text("stdout") == (
        f"drop=unset list=/a:{home} sub=home={home} py=/step/lib:/worker/lib"
        f" pwd={builder_dir / 'build'}\n"
    )
    assert f"  MARID_TEST_SUB=home={home}\n" in ref.values("header")[0]


@pytest_twisted.ensureDeferred
async def test_want_stdout_false_drops_stdout_only(builder_dir: Path) -> None:
    ref = await run_command(
        builder_dir, "shell", shell("echo out; echo err >&2", want_stdout=False)
    )
    assert ref.values("stdout") == []
    assert ref.text("stderr") == "err\n"


@pytest_twisted.ensureDeferred
async def test_silence_longer_than_timeout_kills_with_timeout_without_output(
    builder_dir: Path,
) -> None:
    run = Run(builder_dir, "shell", shell("echo start; sleep 60", timeout=0.5))
    ref = await run.wait()
    assert run.seconds < 10
    assert ref.values("failure_reason") == ["timeout_without_output"]
    assert "0.5 seconds without output" in ref.text("header")
    assert "process killed by signal 9" in ref.text("header")
    assert ref.values("rc") == [-1]
    assert ref.text("stdout") == "start\n"


@pytest_twisted.ensureDeferred
async def test_regular_output_keeps_a_short_timeout_from_firing(builder_dir: Path) -> None:
    ref = await run_command(
        builder_dir, "shell", shell("for i in 1 2 3 4 5; do echo $i; sleep 0.2; done", timeout=0.6)
    )
    assert ref.values("rc") == [0]
    assert ref.values("failure_reason") == []


@pytest_twisted.ensureDeferred
async def test_max_time_kills_a_chatty_command_with_timeout(builder_dir: Path) -> None:
    run = Run(builder_dir, "shell", shell("while true; do echo x; sleep 0.05; done", maxTime=0.5))
    ref = await run.wait()
    assert ref.values("failure_reason") == ["timeout"]
    assert ref.values("rc") == [-1]
    assert run.seconds < 10


@pytest_twisted.ensureDeferred
async def test_max_lines_keeps_that_many_lines_and_fails(builder_dir: Path) -> None:
    ref = await run_command(builder_dir, "shell", shell("seq 1 100000", max_lines=10))
    assert ref.text("stdout") == "".join(f"{i}\n" for i in range(1, 11))
    assert ref.values("failure_reason") == ["max_lines_failure"]
    assert ref.values("rc") == [-1]


@pytest_twisted.ensureDeferred
async def test_interrupt_kills_children_and_grandchildren(builder_dir: Path) -> None:
    script = "sh -c 'sleep 300 & echo $! > grandchild.pid; wait' & echo $! > child.pid; wait"
    run = Run(builder_dir, "shell", shell(script))
    build = builder_dir / "build"
    await eventually(lambda: (build / "grandchild.pid").exists() and (build / "child.pid").exists())
    await eventually(lambda: (build / "grandchild.pid").read_text().strip())
    pids = [int((build / name).read_text()) for name in ("child.pid", "grandchild.pid")]
    assert all(is_alive(pid) for pid in pids)
    run.command.interrupt("stop it")
    ref = await run.wait()
    assert "command interrupted" in ref.text("header")
    assert ref.values("rc") == [-1]
    assert "elapsed" not in ref.keys  # no elapsed after an interrupt
    await eventually(lambda: not any(is_alive(pid) for pid in pids))


@pytest_twisted.ensureDeferred
async def test_interrupt_signal_and_a_command_that_exits_zero_on_it(builder_dir: Path) -> None:
    script = "trap 'echo caught; exit 0' TERM; echo ready; while true; do sleep 0.05; done"
    run = Run(builder_dir, "shell", shell(script, interruptSignal="TERM"))
    await eventually(lambda: run.ref.text("stdout") or run.updates._batch)
    run.command.interrupt("stop")
    ref = await run.wait()
    assert "caught\n" in ref.text("stdout")
    assert ref.values("rc") == [-1]  # it was killed: never reported as success


@pytest_twisted.ensureDeferred
async def test_sigterm_time_sends_term_first_then_kill(builder_dir: Path) -> None:
    graceful = await run_command(
        builder_dir,
        "shell",
        shell("trap 'echo bye; exit 5' TERM; echo a; sleep 60 & wait", timeout=0.5, sigtermTime=5),
    )
    assert "bye\n" in graceful.text("stdout")
    assert graceful.values("rc") == [5]
    stubborn = Run(
        builder_dir, "shell", shell("trap '' TERM; echo a; sleep 60", timeout=0.5, sigtermTime=0.5)
    )
    ref = await stubborn.wait()
    assert "process killed by signal 9" in ref.text("header")
    assert ref.values("rc") == [-1]
    assert stubborn.seconds < 10


@pytest_twisted.ensureDeferred
async def test_logfiles_are_followed_while_the_command_runs(builder_dir: Path) -> None:
    script = (
        "echo first > out.log; sleep 1.3; echo second >> out.log; sleep 1.3; echo third >> out.log"
    )
    run = Run(builder_dir, "shell", shell(script, logfiles={"out": "out.log"}))
    await eventually(lambda: run.updates._batch or run.ref.values("log"))
    assert not run.done.called  # seen while running
    ref = await run.wait()
    assert "".join(text for _, text in ref.values("log")) == "first\nsecond\nthird\n"
    assert {name for name, _ in ref.values("log")} == {"out"}
    assert " watching logfiles {'out': 'out.log'}\n" in ref.values("header")[0]


@pytest_twisted.ensureDeferred
async def test_initial_stdin_is_written_then_closed(builder_dir: Path) -> None:
    ref = await run_command(
        builder_dir, "shell", shell("cat; echo end", initial_stdin="line 1\nline 2")
    )
    assert ref.text("stdout") == "line 1\nline 2end\n"
    assert " writing 13 bytes to stdin\n" in ref.values("header")[0]


@pytest_twisted.ensureDeferred
async def test_use_pty_gives_the_command_a_terminal(builder_dir: Path) -> None:
    ref = await run_command(
        builder_dir, "shell", shell("test -t 1 && echo tty || echo pipe", usePTY=True)
    )
    assert ref.text("stdout").strip() == "tty"
    piped = await run_command(builder_dir, "shell", shell("test -t 1 && echo tty || echo pipe"))
    assert piped.text("stdout") == "pipe\n"


@pytest_twisted.ensureDeferred
async def test_a_program_that_does_not_exist_fails_with_127(builder_dir: Path) -> None:
    ref = await run_command(builder_dir, "shell", shell(["no-such-program-marid"]))
    assert ref.values("rc") == [127]
    assert "cannot run 'no-such-program-marid': No such file or directory" in ref.text("stderr")
    assert ref.completed == [None]


@pytest_twisted.ensureDeferred
async def test_large_output_arrives_whole_in_batches_of_at_most_64_kib(builder_dir: Path) -> None:
    ref = await run_command(builder_dir, "shell", shell("seq 1 200000"))
    assert ref.text("stdout") == "".join(f"{i}\n" for i in range(1, 200001))
    assert all(len(text) <= 64 * 1024 and text.endswith("\n") for text in ref.values("stdout"))


@pytest_twisted.ensureDeferred
async def test_a_lost_connection_kills_the_command_and_reports_nothing_more(
    builder_dir: Path,
) -> None:
    run = Run(builder_dir, "shell", shell("echo $$ > shell.pid; sleep 300"))
    pidfile = builder_dir / "build" / "shell.pid"
    await eventually(lambda: pidfile.exists() and pidfile.read_text().strip())
    pid = int(pidfile.read_text())
    sent = len(run.ref.updates)
    run.updates.mark_lost()
    await run.wait()
    assert len(run.ref.updates) == sent
    assert run.ref.completed == []
    await eventually(lambda: not is_alive(pid))


@pytest_twisted.ensureDeferred
async def test_a_workdir_that_cannot_be_created_fails_with_its_errno(builder_dir: Path) -> None:
    (builder_dir / "build").write_text("a file where the workdir should be")
    ref = await run_command(builder_dir, "shell", shell("true"))
    assert ref.values("rc") == [errno.EEXIST]
    assert f"cannot create {builder_dir / 'build'}" in ref.text("stderr")
