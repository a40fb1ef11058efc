"""A master process killed with SIGKILL mid-build, then started again with ``marid start``.

The in-process version (``test_build_interruptions.py``) imitates a crash
inside the test's reactor; this one kills the real daemon that ``marid start``
launched, so nothing of the old master can clean up, and checks through REST
what the next ``marid start`` makes of it.
"""

from __future__ import annotations

import pytest_twisted

from marid.process.results import RETRY, SUCCESS
from tests.integration.builds.conftest import BuildEnv
from tests.integration.builds.daemon import (
    DaemonMaster,
    builds_of,
    complete_buildset,
    force,
    wait_for_json,
)

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['quick', 'long'])]
quick = util.BuildFactory([steps.ShellCommand(name='say', command='echo done before the crash')])
# The first run leaves a marker in its work directory and sleeps; a re-run finds it and ends.
long = util.BuildFactory([steps.ShellCommand(name='long', command=(
    'if [ -f marker ]; then echo second run; else touch marker; echo first run; sleep 60; fi'))])
c['builders'] = [
    util.BuilderConfig(name='quick', workernames=['w1'], factory=quick),
    util.BuilderConfig(name='long', workernames=['w1'], factory=long),
]
"""


@pytest_twisted.ensureDeferred
async def test_a_build_running_when_the_master_is_killed_is_retried_after_the_restart(
    build_env: BuildEnv, daemon_master: DaemonMaster
) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    first_pid = await daemon_master.start()
    await wait_for_json(build_env, "workers", lambda b: b["workers"][0]["connected_to"])

    done_bsid, done_brid = await force(build_env, "quick")
    assert (await complete_buildset(build_env, done_bsid))["results"] == SUCCESS
    (done,) = await builds_of(build_env, done_brid)

    bsid, brid = await force(build_env, "long")
    await wait_for_json(build_env, f"buildrequests/{brid}/builds", lambda b: b["builds"])
    (interrupted,) = await builds_of(build_env, brid)
    await wait_for_json(
        build_env,
        f"builds/{interrupted['buildid']}/steps/0/logs/stdio/contents",
        lambda b: any("first run" in chunk["content"] for chunk in b["logchunks"]),
    )  # the step is sleeping now

    await daemon_master.kill()
    assert await daemon_master.start() != first_pid

    assert (await complete_buildset(build_env, bsid))["results"] == SUCCESS
    retried, rerun = await builds_of(build_env, brid)
    assert retried["buildid"] == interrupted["buildid"]
    assert (retried["complete"], retried["results"]) == (True, RETRY)
    assert retried["state_string"] == "retry: the master went away"
    (step,) = (await build_env.get(f"builds/{retried['buildid']}/steps"))["steps"]
    assert (step["name"], step["results"]) == ("long", RETRY)
    assert "first run" in await build_env.log_text(retried["buildid"], 0)
    # The request went back to the queue and a new build of it ran to the end.
    assert "1 interrupted build(s) ended as RETRY, 1 request(s) queued again" in (
        daemon_master.log()
    )
    assert (rerun["complete"], rerun["results"]) == (True, SUCCESS)
    assert "second run" in await build_env.log_text(rerun["buildid"], 0)
    (request,) = (await build_env.get(f"buildrequests/{brid}"))["buildrequests"]
    assert (request["complete"], request["results"]) == (True, SUCCESS)

    # What had finished before the kill is all still there.
    (kept,) = (await build_env.get(f"builds/{done['buildid']}"))["builds"]
    assert (kept["complete"], kept["results"]) == (True, SUCCESS)
    assert "odone before the crash\n" in await build_env.log_text(done["buildid"], 0)

    stopped = await daemon_master.stop()
    assert stopped.returncode == 0, stopped.stderr
