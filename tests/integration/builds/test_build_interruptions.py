"""Builds that do not end normally: stopped, worker lost, master crashed; and buildbot-worker."""

from __future__ import annotations

import os
import signal

import pytest
import pytest_twisted
from twisted.internet import defer

from marid.master import BuildMaster
from marid.process.results import CANCELLED, RETRY, SUCCESS
from tests.integration.builds.conftest import BuildEnv, eventually

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
# the first run of a build sleeps; a re-run of it in the same directory does not
f.addStep(steps.ShellCommand(name='long', command=util.Interpolate(
    'if [ -f marker ]; then echo again; else touch marker; sleep %(prop:seconds:-0)s; fi')))
f.addStep(steps.ShellCommand(name='cleanup', command='echo cleaned', alwaysRun=True))
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
"""


async def running_build(env: BuildEnv) -> int:
    botmaster = env.m.botmaster
    assert botmaster is not None
    await eventually(
        lambda: any(b.current_step is not None and b.current_step.name == "long"
                    for b in botmaster.builds)
    )  # fmt: skip
    return next(iter(botmaster.builds)).buildid


@pytest_twisted.ensureDeferred
async def test_stop_a_running_build_through_json_rpc_cancels_it(build_env: BuildEnv) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    bsid, _brid = await build_env.force("b1", {"seconds": 60})
    buildid = await running_build(build_env)
    status, body = await build_env.rpc(f"builds/{buildid}", "stop", reason="enough")
    assert status == 200, body
    assert (await build_env.finished(bsid, timeout=20))["results"] == 6
    build = (await build_env.get(f"builds/{buildid}"))["builds"][0]
    assert build["results"] == 6
    steps = (await build_env.get(f"builds/{buildid}/steps"))["steps"]
    assert [(s["name"], s["results"]) for s in steps] == [("long", 6), ("cleanup", 0)]
    status, body = await build_env.rpc(f"builds/{buildid}", "stop")
    assert status == 409, body  # a finished build cannot be stopped
    assert body["error"]["message"] == f"build {buildid} has finished already"
    status, body = await build_env.rpc("builds/999", "stop")
    assert status == 404


@pytest_twisted.ensureDeferred
async def test_a_worker_lost_mid_build_gives_retry_and_the_request_runs_again(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    bsid, brid = await build_env.force("b1", {"seconds": 60})
    first = await running_build(build_env)
    build_env.kill_worker("w1")
    await eventually(lambda: build_env.m.botmaster is not None and not build_env.m.botmaster.builds)
    build = (await build_env.get(f"builds/{first}"))["builds"][0]
    assert build["results"] == 5 and build["complete"]
    request = (await build_env.get(f"buildrequests/{brid}"))["buildrequests"][0]
    assert not request["complete"] and not request["claimed"]
    # it runs again once the worker is back
    build_env.start_worker("w1")
    await build_env.finished(bsid, timeout=60)
    builds = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    assert [b["results"] for b in builds] == [5, 0]


@pytest_twisted.ensureDeferred
async def test_a_worker_that_does_not_answer_the_ping_gives_retry_and_builds_once_it_is_back(
    build_env: BuildEnv,
) -> None:
    # keepalive_interval is also how long a ping may take to be answered
    build_env.write_config(
        CONFIG.replace(
            "worker.Worker('w1', 'pw')", "worker.Worker('w1', 'pw', keepalive_interval=3)"
        )
    )
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    pid = build_env.processes["w1"].pid
    os.kill(pid, signal.SIGSTOP)  # attached, but it answers nothing any more
    try:
        bsid, brid = await build_env.force("b1")

        async def retried() -> bool:
            builds = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
            return bool(builds) and builds[0]["complete"]

        await eventually(retried, timeout=20)
        (build,) = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
        assert build["results"] == RETRY
        # the ping's own timeout, well before the first unanswered keepalive would be noticed
        assert build["state_string"] == (
            "retry: the worker did not answer the ping (no answer within 3 s)"
        )
        assert (await build_env.get(f"builds/{build['buildid']}/steps"))["steps"] == []
        request = (await build_env.get(f"buildrequests/{brid}"))["buildrequests"][0]
        assert not request["complete"] and not request["claimed"]  # queued again
        (worker,) = (await build_env.get("workers"))["workers"]
        assert worker["connected_to"] == []  # dropped, so the retry does not go back to it
    finally:
        os.kill(pid, signal.SIGCONT)
    await build_env.finished(bsid, timeout=60)  # it reconnects and the request runs
    builds = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    assert [b["results"] for b in builds] == [RETRY, SUCCESS]


@pytest_twisted.ensureDeferred
async def test_stopping_a_build_that_waits_for_the_ping_cancels_it_at_once(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(
        CONFIG.replace(
            "worker.Worker('w1', 'pw')", "worker.Worker('w1', 'pw', keepalive_interval=30)"
        )
    )
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    pid = build_env.processes["w1"].pid
    os.kill(pid, signal.SIGSTOP)
    try:
        bsid, brid = await build_env.force("b1")
        await eventually(lambda: bool(build_env.m.botmaster and build_env.m.botmaster.builds))
        (build,) = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
        status, body = await build_env.rpc(f"builds/{build['buildid']}", "stop", reason="enough")
        assert status == 200, body
        assert (await build_env.finished(bsid, timeout=20))["results"] == CANCELLED
        (build,) = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
        assert build["state_string"] == "cancelled: enough (waiting for the ping)"
        (worker,) = (await build_env.get("workers"))["workers"]
        assert worker["connected_to"] != []  # a stop is no reason to drop the worker
    finally:
        os.kill(pid, signal.SIGCONT)


@pytest_twisted.ensureDeferred
async def test_a_crashed_master_leaves_retry_and_the_next_master_reruns_the_request(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    bsid, brid = await build_env.force("b1", {"seconds": 60})
    first = await running_build(build_env)
    crashed = build_env.m
    # A crash: nothing more reaches the database, then the sockets close. No cleanup runs.
    assert crashed.db is not None and crashed.botmaster is not None
    assert crashed.workers is not None and crashed.www is not None
    if crashed._heartbeat is not None:
        crashed._heartbeat.stop()
    crashed.botmaster.distributor.stop()
    crashed.db.stop()
    crashed.db = None
    for build in crashed.botmaster.builds:
        build.connection.abort()
    await crashed.workers.listener.listen(None)
    await defer.maybeDeferred(crashed.www.stopService)
    build_env.master = BuildMaster(str(build_env.basedir), crashed.reactor)
    await build_env.m.start_master()
    build_env.m.startService()
    build = (await build_env.get(f"builds/{first}"))["builds"][0]
    assert build["results"] == 5 and build["complete"]
    await build_env.finished(bsid, timeout=60)
    builds = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    assert [b["results"] for b in builds] == [5, 0]


@pytest.fixture
def kind() -> str:
    return "buildbot-worker"


@pytest_twisted.ensureDeferred
async def test_a_build_runs_on_a_real_buildbot_worker(build_env: BuildEnv, kind: str) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1", kind=kind)
    await build_env.start_master("w1")
    bsid, brid = await build_env.force("b1")
    assert (await build_env.finished(bsid))["results"] == 0
    build = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"][0]
    assert "ocleaned\n" in await build_env.log_text(build["buildid"], 1)
