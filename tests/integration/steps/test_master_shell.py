"""MasterShellCommand: real processes on the master, their logs, failures and interrupts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest_twisted

from marid.process.results import CANCELLED, FAILURE, SUCCESS
from marid.scripts.process import is_alive
from tests.integration.builds.conftest import eventually
from tests.integration.steps.conftest import BuildEnv, run_build, stdio


def config(*step_lines: str) -> str:
    steps = "\n".join(f"f.addStep({line})" for line in step_lines)
    return f"""
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
{steps}
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
"""


async def start(env: BuildEnv, body: str) -> None:
    env.write_config(body)
    env.start_worker("w1")
    await env.start_master("w1")


@pytest_twisted.ensureDeferred
async def test_commands_run_on_the_master_with_env_and_workdir(build_env: BuildEnv) -> None:
    body = config(
        "steps.MasterShellCommand(name='str', command=util.Interpolate("
        "'echo $GREETING %(prop:buildername)s; pwd; echo oops >&2'), "
        "env={'GREETING': 'hi', 'SEARCH': ['/a', '/b'], 'WRAPPED': '<${HOME}>'}, logEnviron=False)",
        "steps.MasterShellCommand(name='list', command=['sh', '-c', 'echo $SEARCH $WRAPPED; "
        "touch made-here'], env={'SEARCH': ['/a', '/b'], 'WRAPPED': '<${HOME}>'}, "
        "workdir='out')",
    )
    await start(build_env, body)
    (build_env.basedir / "out").mkdir()
    build = await run_build(build_env)
    assert build.results == SUCCESS
    text = await stdio(build_env, build, "str")
    assert f"hi b1\n{build_env.basedir}\noops\n" in text
    assert "program finished with exit code 0" in text
    listed = await stdio(build_env, build, "list")
    assert f"/a{os.pathsep}/b <{os.environ['HOME']}>\n" in listed
    assert " environment:\n" in listed
    assert (build_env.basedir / "out" / "made-here").exists()


@pytest_twisted.ensureDeferred
async def test_a_failing_or_missing_command_fails_the_step(build_env: BuildEnv) -> None:
    body = config(
        "steps.MasterShellCommand(name='exit', command='exit 3', haltOnFailure=False)",
        "steps.MasterShellCommand(name='missing', command=['no-such-program-x'], "
        "haltOnFailure=False)",
        "steps.MasterShellCommand(name='nodir', command='true', workdir='nowhere', "
        "haltOnFailure=False)",
        "steps.MasterShellCommand(name='ok', command='exit 3', decodeRC={3: util.SUCCESS})",
    )
    await start(build_env, body)
    build = await run_build(build_env)
    states = [(s["results"], s["state_string"]) for s in build.steps]
    assert states[0][0] == FAILURE
    assert "program finished with exit code 3" in await stdio(build_env, build, "exit")
    assert states[1] == (FAILURE, "command not found on the master: no-such-program-x (failure)")
    assert states[2] == (
        FAILURE,
        f"workdir {build_env.basedir / 'nowhere'} does not exist on the master (failure)",
    )
    assert states[3][0] == SUCCESS


@pytest_twisted.ensureDeferred
async def test_stopping_the_build_kills_the_command_and_its_children(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    pidfile = tmp_path / "child.pid"
    body = config(
        f"steps.MasterShellCommand(name='slow', command='sleep 60 & echo $! > {pidfile}; wait')",
    )
    await start(build_env, body)
    bsid, brid = await build_env.force("b1")
    await eventually(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
    child = int(pidfile.read_text())
    builds = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    started = time.monotonic()
    status, _ = await build_env.rpc(f"builds/{builds[0]['buildid']}", "stop", reason="enough")
    assert status == 200
    buildset = await build_env.finished(bsid)
    assert buildset["results"] == CANCELLED
    assert time.monotonic() - started < 10

    def gone() -> bool:
        try:
            os.kill(child, 0)
        except ProcessLookupError:
            return True
        return False

    await eventually(gone, timeout=10)


def pids(*files: Path) -> list[int]:
    return [int(f.read_text()) for f in files]


@pytest_twisted.ensureDeferred
async def test_timeout_and_max_time_kill_the_command_and_fail_the_step(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    loop = "while true; do echo tick; sleep 0.2; done"
    body = config(
        # prints once, then nothing: killed 1 s after its last output
        f"steps.MasterShellCommand(name='silent', timeout=1, haltOnFailure=False, "
        f"command='echo $$ > {tmp_path}/silent; sleep 60 & echo $! > {tmp_path}/silent-child; "
        f"echo started; wait')",
        # prints all the time: only maxTime ends it
        f"steps.MasterShellCommand(name='chatty', timeout=1, maxTime=2, haltOnFailure=False, "
        f"command='echo $$ > {tmp_path}/chatty; {loop}')",
        # Buildbot's name for maxTime on this step
        f"steps.MasterShellCommand(name='buildbot', runtime_timeout=1, haltOnFailure=False, "
        f"command='echo $$ > {tmp_path}/buildbot; {loop}')",
        "steps.MasterShellCommand(name='after', command='echo still running steps')",
    )
    await start(build_env, body)
    build = await run_build(build_env)
    assert build.results == FAILURE
    assert [(s["name"], s["results"]) for s in build.steps] == [
        ("silent", FAILURE), ("chatty", FAILURE), ("buildbot", FAILURE), ("after", SUCCESS),
    ]  # fmt: skip
    silent = await stdio(build_env, build, "silent")
    assert "started\n\ncommand timed out: 1 seconds without output, attempting to kill\n" in silent
    assert "process killed by signal 9\nprogram finished with exit code -1\n" in silent
    chatty = await stdio(build_env, build, "chatty")
    assert "command timed out: 2 seconds elapsed, attempting to kill\n" in chatty
    assert "without output" not in chatty and chatty.count("tick\n") >= 5
    assert "command timed out: 1 seconds elapsed" in await stdio(build_env, build, "buildbot")
    for pid in pids(
        *(tmp_path / name for name in ("silent", "silent-child", "chatty", "buildbot"))
    ):
        assert not is_alive(pid), pid  # the shells and their children are gone


@pytest_twisted.ensureDeferred
async def test_stopping_the_build_sends_the_interrupt_signal_to_the_command(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    pidfile = tmp_path / "shell.pid"
    body = config(
        "steps.MasterShellCommand(name='trapping', interruptSignal='TERM', command="
        f"'trap \"echo got TERM; exit 7\" TERM; echo $$ > {pidfile}; sleep 60 & wait')",
    )
    await start(build_env, body)
    bsid, brid = await build_env.force("b1")
    await eventually(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
    (build,) = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    status, _ = await build_env.rpc(f"builds/{build['buildid']}", "stop", reason="enough")
    assert status == 200
    assert (await build_env.finished(bsid))["results"] == CANCELLED
    text = await build_env.log_text(build["buildid"], 0)
    assert "ogot TERM\n" in text  # the shell saw TERM, not KILL, and ran its trap
    assert "hprogram finished with exit code 7\n" in text
    await eventually(lambda: not is_alive(pids(pidfile)[0]), timeout=10)
