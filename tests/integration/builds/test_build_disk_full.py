"""A real full disk under the database: the build's end is written once there is room again.

The SQLite database lives on a 20 MB tmpfs mounted by the test (root is needed:
without it the test is skipped, except under ``CI=true``, where it fails). A
build prints 60 MB of random base64, far more than fits, on a real
``marid-worker`` for a master started with ``marid start``. While the disk is
full the master retries the writes that end the build, and a force answers 503
with the reason; once the tmpfs is made larger the master's owed writes go through and
the build ends EXCEPTION with the reason, without being run again. And a
``marid stop`` while the disk is still full completes.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import pytest_twisted

from marid.db.engine import make_engine
from marid.db.migrate import upgrade
from marid.process.results import EXCEPTION
from tests.integration.builds.conftest import BuildEnv, eventually
from tests.integration.builds.daemon import DaemonMaster, builds_of, wait_for_json

CONFIG = """
c['db_url'] = "sqlite:///{db}"
c['workers'] = [worker.Worker('w1', 'pw')]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['fill', 'quick'])]
# The second step keeps the build going after the disk is full, so that its end is written
# only once the test has taken every byte left.
fill = util.BuildFactory([
    steps.ShellCommand(name='fill', command='head -c 45000000 /dev/urandom | base64'),
    steps.ShellCommand(name='pause', command='sleep 8', alwaysRun=True),
])
quick = util.BuildFactory([steps.ShellCommand(name='quick', command='echo quick')])
c['builders'] = [
    util.BuilderConfig(name='fill', workernames=['w1'], factory=fill),
    util.BuilderConfig(name='quick', workernames=['w1'], factory=quick),
]
"""


def _mount(path: Path, size: str, *, remount: bool = False) -> subprocess.CompletedProcess[str]:
    options = f"remount,size={size}" if remount else f"size={size}"
    return subprocess.run(
        ["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 20 MB tmpfs for the database, unmounted afterwards."""
    path = tmp_path / "small-disk"
    path.mkdir()
    mounted = _mount(path, "20m")
    if mounted.returncode != 0:
        reason = f"cannot mount a tmpfs: {mounted.stderr.strip()}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    try:
        yield path
    finally:
        subprocess.run(["umount", "-l", str(path)], capture_output=True, check=False)


def fill_the_rest(disk: Path, db: Path) -> None:
    """Take the space left, in the file system and in the database's write-ahead log.

    A transaction that failed for want of space leaves its pages in the WAL file
    for the next ones: small writes would still fit there. Rows of decreasing
    size are added from another connection until none fits any more.
    """
    with open(disk / "filler", "wb", buffering=0) as filler, contextlib.suppress(OSError):
        while True:
            filler.write(b"\0" * 65536)
    conn = sqlite3.connect(db, timeout=30, isolation_level=None)
    with contextlib.suppress(sqlite3.OperationalError):  # no room even for the table: full
        conn.execute("CREATE TABLE IF NOT EXISTS test_filler (data BLOB)")
    try:
        for size in (65536, 4096, 512, 16):
            with contextlib.suppress(sqlite3.OperationalError):
                while True:
                    conn.execute("INSERT INTO test_filler VALUES (?)", (os.urandom(size),))
    finally:
        conn.close()


async def start_filling(env: BuildEnv, daemon: DaemonMaster, disk: Path) -> int:
    """A master on the small disk running the ``fill`` build; its buildid once writes fail."""
    db = disk / "state.sqlite"
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    engine.dispose()
    env.write_config(CONFIG.format(db=db))
    env.start_worker("w1")
    await daemon.start()
    await wait_for_json(env, "workers", lambda b: b["workers"][0]["connected_to"])
    status, body = await env.rpc("forceschedulers/force", "force", builderNames=["fill"])
    assert status == 200, body
    (brid,) = body["result"][1].values()
    await eventually(lambda: "could not store lines of log stdio" in daemon.log(), timeout=120)
    fill_the_rest(disk, db)
    (build,) = await builds_of(env, brid)
    buildid: int = build["buildid"]
    return buildid


@pytest_twisted.ensureDeferred
async def test_a_build_that_fills_the_disk_ends_exception_once_there_is_room_again(
    build_env: BuildEnv, daemon_master: DaemonMaster, small_disk: Path
) -> None:
    buildid = await start_filling(build_env, daemon_master, small_disk)
    # The build was stopped; what records its end is being retried (some may have gone
    # through in the space that the failed log writes left, but not all of it).
    await eventually(lambda: "trying again in" in daemon_master.log(), timeout=60)
    status, body = await build_env.rpc("forceschedulers/force", "force", builderNames=["quick"])
    assert status == 503, body
    assert body["error"] == "the database is unavailable: database or disk is full"

    assert _mount(small_disk, "200m", remount=True).returncode == 0
    (small_disk / "filler").unlink()
    body = await wait_for_json(
        build_env, f"builds/{buildid}", lambda b: b["builds"][0]["complete"], timeout=120
    )
    (build,) = body["builds"]
    assert build["results"] == EXCEPTION
    # Stopped because its logs could not be stored, or failed writing its next step's row.
    assert build["state_string"].startswith("exception: the database ")
    assert build["state_string"].endswith("database or disk is full)") or (
        build["state_string"].endswith(": database or disk is full")
    )
    (request,) = (await build_env.get(f"buildrequests/{build['buildrequestid']}"))["buildrequests"]
    assert (request["complete"], request["results"]) == (True, EXCEPTION)
    assert len(await builds_of(build_env, request["buildrequestid"])) == 1  # not run again
    (buildset,) = (await build_env.get(f"buildsets/{request['buildsetid']}"))["buildsets"]
    assert (buildset["complete"], buildset["results"]) == (True, EXCEPTION)

    stopped = await daemon_master.stop()
    assert stopped.returncode == 0, stopped.stderr


@pytest_twisted.ensureDeferred
async def test_marid_stop_completes_while_the_disk_is_still_full(
    build_env: BuildEnv, daemon_master: DaemonMaster, small_disk: Path
) -> None:
    await start_filling(build_env, daemon_master, small_disk)
    await eventually(lambda: "trying again in" in daemon_master.log(), timeout=60)
    stopped = await daemon_master.stop()
    assert stopped.returncode == 0, stopped.stderr + daemon_master.log()
    assert daemon_master.pid is None
