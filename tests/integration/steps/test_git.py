"""The Git step on real worker processes, against real local repositories made with git init."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_twisted

from marid.config.errors import ConfigErrors
from marid.config.loader import load_config
from marid.process.results import FAILURE, SUCCESS
from tests.integration.steps.conftest import BuildEnv, commit, git, make_repo, run_build, stdio


def config(git_step: str, *, after: str = "") -> str:
    return f"""
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
f.addStep({git_step})
f.addStep(steps.ShellCommand(name='look', command=['sh', '-c', 'ls -a; cat a.txt'],
                             usePTY=False))
{after}
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
"""


def checkout(env: BuildEnv, workdir: str = "build") -> Path:
    return env.worker_dir("w1") / "b1" / workdir


async def start(env: BuildEnv, body: str, kind: str = "marid-worker") -> None:
    env.write_config(body)
    env.start_worker("w1", kind)
    await env.start_master("w1")


@pytest.mark.parametrize("kind", ["marid-worker", "buildbot-worker"])
@pytest_twisted.ensureDeferred
async def test_incremental_clones_then_updates_keeping_untracked_files(
    build_env: BuildEnv, tmp_path: Path, kind: str
) -> None:
    repo = tmp_path / "repo"
    first = make_repo(repo, {"a.txt": "one\n"})
    await start(build_env, config(f"steps.Git(repourl={str(repo)!r}, branch='main')"), kind)

    build = await run_build(build_env)
    assert build.results == SUCCESS
    assert build.properties["got_revision"] == [first, "Git"]
    assert "one" in await stdio(build_env, build, "look")
    (checkout(build_env) / "untracked.txt").write_text("stays")

    second = commit(repo, {"a.txt": "two\n"}, "second")
    build = await run_build(build_env)
    assert build.results == SUCCESS
    assert build.properties["got_revision"] == [second, "Git"]
    assert "two" in await stdio(build_env, build, "look")
    assert (checkout(build_env) / "untracked.txt").exists()
    assert git(checkout(build_env), "rev-parse", "--abbrev-ref", "HEAD") == "main"
    log = await stdio(build_env, build, "git")
    assert f"git fetch -f -t --progress -- {repo} main" in log


@pytest_twisted.ensureDeferred
async def test_full_fresh_removes_ignored_files_and_clean_keeps_them(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, {"a.txt": "one\n", ".gitignore": "*.o\n"})
    body = config(
        f"steps.Git(name='fresh', repourl={str(repo)!r}, mode='full', method='fresh')",
        after=(
            "f.addStep(steps.ShellCommand(name='dirty', command='touch x.o junk'))\n"
            f"f.addStep(steps.Git(name='clean', repourl={str(repo)!r}, mode='full', "
            "method='clean'))\n"
        ),
    )
    await start(build_env, body)
    await run_build(build_env)
    work = checkout(build_env)
    assert (work / "x.o").exists() and not (work / "junk").exists()

    (work / "junk").write_text("")
    build = await run_build(build_env)
    assert build.results == SUCCESS
    # fresh removed both before 'dirty' made them again; clean then kept only the ignored one
    assert (work / "x.o").exists() and not (work / "junk").exists()
    assert "clean -f -f -d -x" in await stdio(build_env, build, "fresh")


@pytest_twisted.ensureDeferred
async def test_clobber_and_copy_start_from_an_empty_directory(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, {"a.txt": "one\n"})
    body = config(
        f"steps.Git(name='clobber', repourl={str(repo)!r}, mode='full', method='clobber')",
        after=(
            "f.addStep(steps.ShellCommand(name='mark', command='touch marker'))\n"
            f"f.addStep(steps.Git(name='copy', repourl={str(repo)!r}, mode='full', "
            "method='copy', workdir='copied'))\n"
        ),
    )
    await start(build_env, body)
    build = await run_build(build_env)
    assert build.results == SUCCESS
    assert (checkout(build_env) / "marker").exists()
    assert (checkout(build_env, "copied") / "a.txt").read_text() == "one\n"
    assert (checkout(build_env, "source") / ".git").is_dir()

    build = await run_build(build_env)
    assert build.results == SUCCESS
    assert (checkout(build_env) / "marker").exists()  # made again after the clobber
    assert "rmdir" not in await stdio(build_env, build, "copy")


@pytest_twisted.ensureDeferred
async def test_the_stamps_revision_is_checked_out_even_off_a_shallow_branch(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    first = make_repo(repo, {"a.txt": "one\n"})
    commit(repo, {"a.txt": "two\n"}, "second")
    url = f"file://{repo}"
    await start(build_env, config(f"steps.Git(repourl={url!r}, branch='main', shallow=True)"))

    build = await run_build(build_env, revision=first, branch="main")
    assert build.results == SUCCESS
    assert build.properties["got_revision"] == [first, "Git"]
    assert "one" in await stdio(build_env, build, "look")

    build = await run_build(build_env, branch="main")
    assert "two" in await stdio(build_env, build, "look")
    assert git(checkout(build_env), "rev-parse", "--is-shallow-repository") == "true"


@pytest_twisted.ensureDeferred
async def test_submodules_are_checked_out(build_env: BuildEnv, tmp_path: Path) -> None:
    lib = tmp_path / "lib"
    make_repo(lib, {"lib.txt": "library\n"})
    repo = tmp_path / "repo"
    make_repo(repo, {"a.txt": "one\n"})
    git(repo, "-c", "protocol.file.allow=always", "submodule", "add", "-q", str(lib), "lib")
    git(repo, "commit", "-q", "-m", "add lib")
    step = (
        f"steps.Git(repourl={str(repo)!r}, mode='full', method='fresh', submodules=True, "
        "config={'protocol.file.allow': 'always'})"
    )
    await start(build_env, config(step))
    build = await run_build(build_env)
    assert build.results == SUCCESS
    assert (checkout(build_env) / "lib" / "lib.txt").read_text() == "library\n"


@pytest_twisted.ensureDeferred
async def test_a_bad_repository_fails_the_build_with_gits_reason_and_halts(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    missing = tmp_path / "no-such-repo"
    await start(build_env, config(f"steps.Git(repourl={str(missing)!r})"))
    build = await run_build(build_env)
    assert build.results == FAILURE
    assert [s["name"] for s in build.steps] == ["git"]
    assert build.steps[0]["state_string"] == "git clone failed (exit code 128) (failure)"
    assert "does not exist" in await stdio(build_env, build, "git")
    assert "got_revision" not in build.properties


UNSUPPORTED_CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
f.addStep(steps.Git(repourl='https://example.org/a.git', sshPrivateKey='key', sshHostKey='h',
                    sshKnownHosts='k'))
f.addStep(steps.Git(repourl='https://example.org/a.git', reference='/cache', tags=True,
                    filters=['blob:none'], origin='up', remoteSubmodules=True))
f.addStep(steps.Git(repourl='https://example.org/a.git', port=2222,
                    auth_credentials=('u', 'p')))
# Buildbot's defaults, as a migrated config may spell them, are fine.
f.addStep(steps.Git(repourl='https://example.org/a.git', tags=False, reference=None, port=22))
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
"""


def test_buildbot_git_options_marid_lacks_are_config_errors_at_their_lines(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(UNSUPPORTED_CONFIG)
    path = build_env.basedir / "master.cfg"
    lines = path.read_text().splitlines()
    step_lines = [n for n, line in enumerate(lines, 1) if line.startswith("f.addStep")]
    with pytest.raises(ConfigErrors) as raised:
        load_config(str(path))
    found = [(e.lineno, e.message.split(": ", 1)[1]) for e in raised.value.errors]
    lacks = "is not supported yet (a Buildbot Git option Marid lacks)"
    assert found == [
        *[
            (step_lines[0], f"{name} {lacks}")
            for name in ("sshPrivateKey", "sshHostKey", "sshKnownHosts")
        ],
        *[
            (step_lines[1], f"{name} {lacks}")
            for name in ("reference", "tags", "filters", "origin", "remoteSubmodules")
        ],
        *[(step_lines[2], f"{name} {lacks}") for name in ("port", "auth_credentials")],
    ]
    assert all(e.filename == str(path) for e in raised.value.errors)


@pytest_twisted.ensureDeferred
async def test_a_patched_source_stamp_fails_the_checkout_instead_of_building_without_it(
    build_env: BuildEnv, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    make_repo(repo, {"a.txt": "one\n"})
    await start(build_env, config(f"steps.Git(repourl={str(repo)!r}, branch='main')"))
    patch = b"--- a/a.txt\n+++ b/a.txt\n@@ -1 +1 @@\n-one\n+patched\n"
    build = await run_build(build_env, branch="main", patch_body=patch)
    assert build.results == FAILURE
    assert [(s["name"], s["state_string"]) for s in build.steps] == [
        ("git", "the source stamp carries a patch; Marid cannot apply patches yet (failure)"),
    ]
    assert not checkout(build_env).exists()  # nothing was cloned
