"""MasterShellCommand: real processes on the master, their logs, failures and interrupts."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest_twisted

from marid.process.results import CANCELLED, FAILURE, SUCCESS
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
