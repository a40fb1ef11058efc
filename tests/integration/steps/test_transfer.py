"""Transfer steps on real worker processes: uploads, downloads, and the ways they fail."""

from __future__ import annotations

import itertools
import json
import subprocess
import time
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor, task, threads

from marid.process.results import CANCELLED, EXCEPTION, FAILURE, RETRY, SKIPPED, SUCCESS
from marid.workers.unpack import UnpackLimits, unpack_archive
from tests.integration.builds.conftest import eventually
from tests.integration.steps.conftest import BuildEnv, run_build, stdio


def config(*step_lines: str) -> str:
    steps = "\n".join(f"f.addStep({line})" for line in step_lines)
    return f"""
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
{steps}
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
c['buildbotURL'] = 'http://ci.example.org/'
"""


def shell(name: str, command: str) -> str:
    return f"steps.ShellCommand(name={name!r}, command={command!r}, usePTY=False)"


async def start(env: BuildEnv, body: str, kind: str = "marid-worker") -> None:
    env.write_config(body)
    env.start_worker("w1", kind)
    await env.start_master("w1")


def work(env: BuildEnv) -> Path:
    return env.worker_dir("w1") / "b1" / "build"


MAKE_400_MB = shell(
    "make", "mkdir -p big && dd if=/dev/zero of=big/zeros bs=1M count=400 status=none"
)


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_file_and_directory_uploads_land_under_the_master_basedir(
    build_env: BuildEnv, kind: str
) -> None:
    body = config(
        shell("make", "mkdir -p dist/sub && echo A > dist/a.txt && echo B > dist/sub/b.txt"),
        "steps.FileUpload(workersrc='dist/a.txt', masterdest='artifacts/a.txt', mode=0o640, "
        "keepstamp=True, url='http://ci.example.org/a.txt')",
        "steps.DirectoryUpload(workersrc='dist', masterdest=util.Interpolate("
        "'artifacts/%(prop:buildnumber)s'), compress='gz')",
    )
    await start(build_env, body, kind)
    build = await run_build(build_env)
    assert build.results == SUCCESS
    uploaded = build_env.basedir / "artifacts" / "a.txt"
    assert uploaded.read_text() == "A\n"
    assert uploaded.stat().st_mode & 0o777 == 0o640
    assert uploaded.stat().st_mtime == (work(build_env) / "dist" / "a.txt").stat().st_mtime
    assert [p.name for p in uploaded.parent.iterdir() if p.name.startswith(".")] == []
    assert build.steps[1]["urls"] == [{"name": "a.txt", "url": "http://ci.example.org/a.txt"}]
    tree = build_env.basedir / "artifacts" / str(build.properties["buildnumber"][0])
    assert (tree / "a.txt").read_text() == "A\n" and (tree / "sub" / "b.txt").read_text() == "B\n"


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_a_missing_file_fails_the_upload_halts_and_keeps_the_old_artifact(
    build_env: BuildEnv, kind: str
) -> None:
    body = config(
        "steps.FileUpload(workersrc='nosuch.txt', masterdest='out/a.txt')",
        shell("after", "true"),
    )
    await start(build_env, body, kind)
    (build_env.basedir / "out").mkdir()
    (build_env.basedir / "out" / "a.txt").write_text("old")
    build = await run_build(build_env)
    assert build.results == FAILURE
    assert [s["name"] for s in build.steps] == ["upload"]
    assert build.steps[0]["state_string"].startswith("uploading nosuch.txt failed: Cannot open")
    assert "nosuch.txt" in await stdio(build_env, build, "upload")
    assert (build_env.basedir / "out" / "a.txt").read_text() == "old"
    assert sorted(p.name for p in (build_env.basedir / "out").iterdir()) == ["a.txt"]


@pytest_twisted.ensureDeferred
async def test_uploads_over_maxsize_and_missing_directories_fail_and_leave_nothing(
    build_env: BuildEnv,
) -> None:
    body = config(
        shell("make", "head -c 5000 /dev/zero > big.bin"),
        "steps.FileUpload(workersrc='big.bin', masterdest='out/big.bin', maxsize=1000, "
        "haltOnFailure=False)",
        "steps.DirectoryUpload(workersrc='nodir', masterdest='out/tree', haltOnFailure=False)",
    )
    await start(build_env, body)
    build = await run_build(build_env)
    assert build.results == FAILURE
    assert [s["results"] for s in build.steps] == [SUCCESS, FAILURE, FAILURE]
    assert "Maximum filesize reached" in build.steps[1]["state_string"]
    assert "nodir" in build.steps[2]["state_string"]
    leftovers = [p.name for p in (build_env.basedir / "out").rglob("*") if p.is_file()]
    assert leftovers == []


@pytest_twisted.ensureDeferred
async def test_multiple_file_upload_globs_files_and_directories_or_skips(
    build_env: BuildEnv,
) -> None:
    body = config(
        shell(
            "make",
            "mkdir -p logs/more && echo 1 > logs/one.log && echo 2 > logs/two.log "
            "&& echo 3 > logs/more/three.txt",
        ),
        "steps.MultipleFileUpload(workersrcs=['logs/*.log', 'logs/more'], masterdest='up', "
        "glob=True, url='http://ci.example.org/up')",
        "steps.MultipleFileUpload(name='none', workersrcs=['*.nothing'], masterdest='up2', "
        "glob=True)",
    )
    await start(build_env, body)
    build = await run_build(build_env)
    assert build.results == SUCCESS
    up = build_env.basedir / "up"
    assert (up / "one.log").read_text() == "1\n" and (up / "two.log").read_text() == "2\n"
    assert (up / "more" / "three.txt").read_text() == "3\n"
    assert build.step("upload")["urls"] == [{"name": "up", "url": "http://ci.example.org/up"}]
    assert build.step("none")["results"] == SKIPPED


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_downloads_of_a_file_a_string_json_and_the_properties(
    build_env: BuildEnv, kind: str
) -> None:
    body = config(
        "steps.FileDownload(mastersrc='files/tool.sh', workerdest='bin/tool.sh', mode=0o755)",
        "steps.StringDownload(util.Interpolate('hello %(prop:buildername)s'), "
        "workerdest='hello.txt')",
        "steps.JSONStringDownload({'n': util.Property('buildnumber')}, workerdest='n.json')",
        "steps.JSONPropertiesDownload(workerdest='props.json')",
        shell("run", "bin/tool.sh"),
    )
    await start(build_env, body, kind)
    (build_env.basedir / "files").mkdir()
    (build_env.basedir / "files" / "tool.sh").write_text("#!/bin/sh\necho tool ran\n")
    build = await run_build(build_env, properties={"colour": "blue"}, branch="main", revision="abc")
    assert build.results == SUCCESS
    assert "tool ran" in await stdio(build_env, build, "run")
    assert (work(build_env) / "hello.txt").read_text() == "hello b1"
    number = build.properties["buildnumber"][0]
    assert json.loads((work(build_env) / "n.json").read_text()) == {"n": number}
    document = json.loads((work(build_env) / "props.json").read_text())
    assert document["properties"]["colour"] == "blue"
    assert document["properties"]["buildername"] == "b1"
    assert [(s["branch"], s["revision"]) for s in document["sourcestamps"]] == [("main", "abc")]


@pytest_twisted.ensureDeferred
async def test_a_missing_master_file_and_bad_values_fail_clearly(build_env: BuildEnv) -> None:
    body = config(
        "steps.FileDownload(mastersrc='files/absent.txt', haltOnFailure=False)",
        "steps.StringDownload(util.Property('nothing'), workerdest='x.txt', haltOnFailure=False)",
        "steps.JSONStringDownload(name='json', o=util.Transform(lambda: {1, 2}), "
        "workerdest='s.json', haltOnFailure=False)",
        "steps.FileUpload(name='up', workersrc='x', masterdest=util.Property('dest'), "
        "haltOnFailure=False)",
        "steps.FileUpload(name='secret', workersrc=util.Interpolate('%(secret:nope)s'), "
        "masterdest='x', haltOnFailure=False)",
    )
    await start(build_env, body)
    build = await run_build(build_env)
    states = [(s["results"], s["state_string"]) for s in build.steps]
    master_file = build_env.basedir / "files" / "absent.txt"
    assert states[0] == (
        FAILURE,
        f"cannot read files/absent.txt on the master ({master_file}): "
        "No such file or directory (failure)",
    )
    assert states[1] == (FAILURE, "s rendered to NoneType None, not a string (failure)")
    assert states[2][0] == FAILURE and "cannot be written as JSON" in states[2][1]
    assert states[3] == (FAILURE, "masterdest rendered to None, not a path (failure)")
    assert states[4][0] == EXCEPTION and "secret" in states[4][1]
    assert "nope" in await stdio(build_env, build, "secret", "err.text")


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_a_directory_that_unpacks_past_maxsize_is_refused_and_leaves_nothing(
    build_env: BuildEnv, kind: str
) -> None:
    # 1 GiB of holes compresses to a few hundred bytes of bz2: well under maxsize on the wire.
    # (buildbot-worker cannot report a failed unpack(), so the master reports it instead.)
    body = config(
        shell(
            "make",
            "mkdir -p d e && echo small > d/a.txt && truncate -s 1G d/big && touch e/1 e/2 e/3",
        ),
        "steps.DirectoryUpload(workersrc='d', masterdest='up/d', compress='bz2', "
        "maxsize=1 << 20, haltOnFailure=False)",
        "steps.DirectoryUpload(name='many', workersrc='e', masterdest='up/e', max_members=2)",
    )
    await start(build_env, body, kind)
    build = await run_build(build_env)
    assert [s["results"] for s in build.steps] == [SUCCESS, FAILURE, FAILURE]
    assert "more than 1048576 bytes (maxsize" in build.steps[1]["state_string"]
    assert "more than 2 entries (max_members)" in build.steps[2]["state_string"]
    assert not (build_env.basedir / "up").exists()
    assert "max_members" in await stdio(build_env, build, "many")


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_a_large_directory_upload_unpacks_while_the_master_keeps_answering(
    build_env: BuildEnv, tmp_path: Path, kind: str
) -> None:
    # 400 MB of zeros: a few hundred KiB on the wire, seconds of unpacking on the master.
    body = config(
        MAKE_400_MB,
        "steps.DirectoryUpload(workersrc='big', masterdest='up/big', compress='gz')",
    )
    await start(build_env, body, kind)
    ticks: list[float] = []
    timer = task.LoopingCall(lambda: ticks.append(time.monotonic()))
    timer.clock = reactor
    timer.start(0.01)
    try:
        build = await run_build(build_env)
    finally:
        timer.stop()
    assert build.results == SUCCESS
    assert (build_env.basedir / "up" / "big" / "zeros").stat().st_size == 400 << 20
    largest_gap = max(later - earlier for earlier, later in itertools.pairwise(ticks))

    def unpack_alone() -> float:
        """How long the same unpack takes on its own, measured here rather than assumed."""
        archive = tmp_path / "big.tar.gz"
        source = work(build_env) / "big"
        subprocess.run(["tar", "czf", str(archive), "-C", str(source), "."], check=True)
        began = time.monotonic()
        unpack_archive(str(archive), str(tmp_path / "again"), UnpackLimits(1 << 40, 10))
        return time.monotonic() - began

    unpack_seconds = await threads.deferToThread(unpack_alone)
    assert largest_gap < unpack_seconds / 4, (largest_gap, unpack_seconds)


@pytest.mark.parametrize(
    ("how", "kind"),
    [
        ("stop", "marid-worker"),
        ("worker lost", "marid-worker"),
        ("master stop", "marid-worker"),
        ("stop", "buildbot-worker"),
    ],
)
@pytest_twisted.ensureDeferred
async def test_a_build_stopped_or_a_worker_lost_mid_unpack_leaves_the_destination_as_it_was(
    build_env: BuildEnv, how: str, kind: str
) -> None:
    body = config(
        MAKE_400_MB, "steps.DirectoryUpload(workersrc='big', masterdest='up/big', compress='gz')"
    )
    await start(build_env, body, kind)
    dest = build_env.basedir / "up" / "big"
    dest.mkdir(parents=True)
    (dest / "old.txt").write_text("old")
    bsid, brid = await build_env.force("b1")

    def unpacking() -> bool:
        return any(p.name.endswith(".unpack") for p in dest.parent.iterdir())

    await eventually(unpacking, timeout=120)  # the staging directory of a running unpack
    (build,) = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    if how == "stop":
        status, answer = await build_env.rpc(f"builds/{build['buildid']}", "stop", reason="enough")
        assert status == 200, answer
        await build_env.finished(bsid)
    elif how == "master stop":  # it stops the unpack rather than wait for the rest of it
        await build_env.m.stop_master()
        assert sorted(p.name for p in dest.parent.iterdir()) == ["big"]
        assert sorted(p.name for p in dest.iterdir()) == ["old.txt"]
        return
    else:
        build_env.kill_worker("w1")

    async def ended() -> bool:
        found = (await build_env.get(f"builds/{build['buildid']}"))["builds"][0]
        return found["results"] is not None

    await eventually(ended)
    found = (await build_env.get(f"builds/{build['buildid']}"))["builds"][0]
    assert found["results"] == (CANCELLED if how == "stop" else RETRY)
    assert sorted(p.name for p in dest.parent.iterdir()) == ["big"]
    assert sorted(p.name for p in dest.iterdir()) == ["old.txt"]
