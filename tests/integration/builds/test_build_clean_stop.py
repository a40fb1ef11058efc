"""``marid stop --clean`` on a real master process: running builds finish, no new one starts."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

import pytest_twisted

from marid.process.results import SUCCESS
from tests.integration.builds.conftest import BuildEnv, eventually
from tests.integration.builds.daemon import DaemonMaster, builds_of, force, wait_for_json

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw', max_builds=2)]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['long', 'other'])]
c['builders'] = [
    util.BuilderConfig(name='long', workernames=['w1'], factory=util.BuildFactory([
        steps.ShellCommand(name='wait', command=(
            'echo waiting; while [ ! -f {release} ]; do sleep 0.05; done; echo released'))])),
    util.BuilderConfig(name='other', workernames=['w1'], factory=util.BuildFactory([
        steps.ShellCommand(name='quick', command='true')])),
]
"""


@pytest_twisted.ensureDeferred
async def test_stop_clean_lets_the_running_build_succeed_and_starts_no_new_one(
    build_env: BuildEnv, daemon_master: DaemonMaster, tmp_path: Path
) -> None:
    release = tmp_path / "release"
    build_env.write_config(CONFIG.format(release=release))
    build_env.start_worker("w1")
    await daemon_master.start()
    await wait_for_json(build_env, "workers", lambda b: b["workers"][0]["connected_to"])
    _, brid = await force(build_env, "long")
    await wait_for_json(build_env, f"buildrequests/{brid}/builds", lambda b: b["builds"])
    (running,) = await builds_of(build_env, brid)

    stop = daemon_master.stop_in_background("--clean")
    try:
        await eventually(
            lambda: "clean shutdown: waiting for 1 running builds" in daemon_master.log()
        )
        # A request that arrives now waits, although w1 has a free slot for it.
        _, waiting = await force(build_env, "other")
        await build_env.get("buildrequests")  # the master has had turns to act on it
        (request,) = (await build_env.get(f"buildrequests/{waiting}"))["buildrequests"]
        assert (request["claimed"], request["complete"]) == (False, False)
        assert stop.poll() is None  # still waiting for the build

        release.touch()
        await eventually(lambda: stop.poll() is not None)
    finally:
        release.touch()  # even after a failure: the step's shell must not outlive the test
        if stop.poll() is None:
            stop.kill()
    out, err = stop.communicate()
    assert stop.returncode == 0, err
    assert out == "waiting for running builds to finish before stopping...\nmaster stopped\n"
    assert daemon_master.pid is None

    with contextlib.closing(sqlite3.connect(build_env.basedir / "state.sqlite")) as db:
        finished = db.execute(
            "select results, state_string from builds where id = ?", (running["buildid"],)
        ).fetchall()
        assert finished == [(SUCCESS, "success")]
        assert db.execute(
            "select complete, results from buildrequests where id = ?", (brid,)
        ).fetchall() == [(1, SUCCESS)]
        assert db.execute(
            "select count(*) from builds where buildrequestid = ?", (waiting,)
        ).fetchall() == [(0,)]
        assert db.execute(
            "select count(*) from buildrequest_claims where brid = ?", (waiting,)
        ).fetchall() == [(0,)]
        assert db.execute("select active from masters").fetchall() == [(0,)]
