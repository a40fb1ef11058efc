"""Worker file-system steps on real worker processes."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.process.results import FAILURE, SUCCESS
from tests.integration.steps.conftest import BuildEnv, run_build, stdio


def config(*step_lines: str) -> str:
    steps = "\n".join(f"f.addStep({line})" for line in step_lines)
    return f"""
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
{steps}
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
"""


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_make_copy_check_and_remove_directories(build_env: BuildEnv, kind: str) -> None:
    body = config(
        "steps.MakeDirectory(dir=util.Interpolate('build/%(prop:sub)s/deep'))",
        "steps.ShellCommand(command='echo x > made/deep/f.txt', usePTY=False)",
        "steps.CopyDirectory(src='build/made', dest='build/copy')",
        "steps.FileExists(file='build/copy/deep/f.txt')",
        "steps.RemoveDirectory(dir='build/made')",
    )
    build_env.write_config(body)
    build_env.start_worker("w1", kind)
    await build_env.start_master("w1")
    build = await run_build(build_env, properties={"sub": "made"})
    assert build.results == SUCCESS
    assert build.step("FileExists")["state_string"] == "file found: build/copy/deep/f.txt"
    base = build_env.worker_dir("w1") / "b1" / "build"
    assert (base / "copy" / "deep" / "f.txt").read_text() == "x\n"
    assert not (base / "made").exists()


@pytest_twisted.ensureDeferred
async def test_missing_files_directories_and_bad_paths_fail_clearly(build_env: BuildEnv) -> None:
    body = config(
        "steps.MakeDirectory(dir='build/sub')",
        "steps.FileExists(file='build/nosuch', haltOnFailure=False)",
        "steps.FileExists(name='dir', file='build/sub', haltOnFailure=False)",
        "steps.CopyDirectory(src='build/nosuch', dest='build/x', haltOnFailure=False)",
        "steps.RemoveDirectory(dir=util.Property('missing'), haltOnFailure=False)",
        "steps.MakeDirectory(name='blocked', dir='build/file/sub', haltOnFailure=False)",
    )
    build_env.write_config(body)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    (build_env.worker_dir("w1") / "b1" / "build").mkdir(parents=True)
    (build_env.worker_dir("w1") / "b1" / "build" / "file").write_text("")
    build = await run_build(build_env)
    assert build.results == FAILURE
    states = [(s["results"], s["state_string"]) for s in build.steps]
    assert states[1:5] == [
        (FAILURE, "file not found: build/nosuch (failure)"),
        (FAILURE, "not a file: build/sub (failure)"),
        (FAILURE, "copying build/nosuch to build/x failed (exit code 1) (failure)"),
        (FAILURE, "dir rendered to None, not a path (failure)"),
    ]
    assert states[5] == (
        FAILURE,
        "creating build/file/sub failed (Not a directory, error 20) (failure)",
    )
    assert "nosuch" in await stdio(build_env, build, "CopyDirectory")
