"""The Git step's command sequences, against a worker the test plays."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer

from marid.config.errors import ErrorCollector
from marid.plugins import steps, util
from marid.process.results import CANCELLED, FAILURE, SUCCESS
from marid.process.steprunner import run_step
from tests.unit.steps.harness import ScriptedWorker, make_build, run, shell_argvs, until

URL = "https://example.org/repo.git"
SHA = "0123456789abcdef0123456789abcdef01234567"
OTHER = "89abcdef0123456789abcdef0123456789abcdef"


class GitWorker(ScriptedWorker):
    """Answers git commands: ``checkouts`` hold a .git; ``fail`` maps subcommands to exit codes."""

    def __init__(
        self,
        checkouts: Iterable[str] = (),
        fail: dict[str, list[int]] | None = None,
        known: Iterable[str] = (),
    ) -> None:
        super().__init__(self.answer)
        self.checkouts = set(checkouts)
        self.fail = fail or {}
        self.known = set(known)

    def answer(self, name: str, args: dict[str, Any]) -> list[dict[str, Any]] | None:
        if name == "stat":
            exists = args["file"].removesuffix("/.git") in self.checkouts
            if not exists:
                return [{"rc": 2}]
            return [{"stat": (0o40755, 0, 0, 0, 0, 0, 0, 0, 0, 0), "rc": 0}]
        if name in ("rmdir", "cpdir"):
            if name == "rmdir":
                self.checkouts.discard(args["dir"])
            else:
                self.checkouts.add(args["todir"])
            return [{"rc": 0}]
        argv = subcommand(args["command"])
        sub = argv[1]
        rcs = self.fail.get(sub)
        if rcs:
            return [{"stderr": f"fatal: {sub} went wrong\n"}, {"rc": rcs.pop(0)}]
        if sub == "clone":
            self.checkouts.add(args["workdir"])
        if sub == "cat-file":
            return [{"rc": 0 if argv[3].removesuffix("^{commit}") in self.known else 1}]
        if sub == "rev-parse":
            return [{"stdout": SHA + "\n"}, {"rc": 0}]
        if sub == "describe":
            return [{"stdout": "v1.0-3-g0123456\n"}, {"rc": 0}]
        return [{"stdout": f"ran {sub}\n"}, {"rc": 0}]


def subcommand(argv: list[str]) -> list[str]:
    """``argv`` without its ``-c key=value`` options: ``git <subcommand> ...``."""
    rest = argv[1:]
    while rest[:1] == ["-c"]:
        rest = rest[2:]
    return [argv[0], *rest]


def git(*args: str) -> list[str]:
    return ["git", *args]


CLONE = git("clone", "--branch", "main", "--progress", "--", URL, ".")
FETCH = git("fetch", "-f", "-t", "--progress", "--", URL, "main")
NAME = git("checkout", "-B", "main")


@pytest_twisted.ensureDeferred
async def test_incremental_clones_a_missing_checkout_and_sets_got_revision(tmp_path: Path) -> None:
    worker = GitWorker()
    outcome = await run(steps.Git(repourl=URL, branch="main"), worker, tmp_path)
    assert outcome.result == SUCCESS
    assert [name for name, _ in worker.commands] == ["shell", "stat", "rmdir", "shell", "shell"]
    assert shell_argvs(worker) == [git("--version"), CLONE, git("rev-parse", "HEAD")]
    assert worker.commands[1][1]["file"] == "build/.git"
    assert all(args["workdir"] == "build" for n, args in worker.commands if n == "shell")
    assert outcome.properties.getProperty("got_revision") == SHA
    assert outcome.properties.getPropertySource("got_revision") == "Git"
    assert outcome.status == "update"


@pytest_twisted.ensureDeferred
async def test_incremental_update_fetches_and_forces_the_fetched_tip(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"])
    outcome = await run(steps.Git(repourl=URL, branch="main"), worker, tmp_path)
    assert outcome.result == SUCCESS
    assert shell_argvs(worker)[1:] == [
        FETCH,
        git("-c", "advice.detachedHead=false", "checkout", "-f", "FETCH_HEAD", "--"),
        NAME,
        git("rev-parse", "HEAD"),
    ]


@pytest.mark.parametrize(("method", "clean"), [("fresh", ["-x"]), ("clean", [])])
@pytest_twisted.ensureDeferred
async def test_full_fresh_and_clean_remove_untracked_files_after_the_checkout(
    tmp_path: Path, method: str, clean: list[str]
) -> None:
    worker = GitWorker(checkouts=["build"])
    step = steps.Git(repourl=URL, branch="main", mode="full", method=method)
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == SUCCESS
    assert shell_argvs(worker)[4] == git("clean", "-f", "-f", "-d", *clean)


@pytest_twisted.ensureDeferred
async def test_full_defaults_to_fresh(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"])
    await run(steps.Git(repourl=URL, mode="full"), worker, tmp_path)
    assert git("clean", "-f", "-f", "-d", "-x") in shell_argvs(worker)


@pytest_twisted.ensureDeferred
async def test_clobber_removes_the_checkout_and_clones_the_stamps_revision(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"], known=[SHA])
    step = steps.Git(repourl=URL, branch="main", mode="full", method="clobber")
    stamps = {"": {"codebase": "", "branch": "main", "revision": SHA}}
    outcome = await run(step, worker, tmp_path, sourcestamps=stamps)
    assert outcome.result == SUCCESS
    assert [name for name, _ in worker.commands][:2] == ["shell", "rmdir"]
    assert shell_argvs(worker)[1:] == [
        CLONE,
        git("cat-file", "-e", f"{SHA}^{{commit}}"),
        git("-c", "advice.detachedHead=false", "checkout", "-f", SHA, "--"),
        NAME,
        git("rev-parse", "HEAD"),
    ]


@pytest_twisted.ensureDeferred
async def test_copy_updates_source_and_copies_it_over_a_removed_workdir(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["source", "build"])
    step = steps.Git(repourl=URL, branch="main", mode="full", method="copy")
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == SUCCESS
    kinds = [
        (n, a.get("dir") or a.get("file") or a.get("todir") or subcommand(a["command"])[1])
        for n, a in worker.commands
    ]
    assert kinds == [
        ("shell", "--version"),
        ("rmdir", "build"),
        ("stat", "source/.git"),
        ("shell", "fetch"),
        ("shell", "checkout"),
        ("shell", "checkout"),
        ("cpdir", "build"),
        ("shell", "rev-parse"),
    ]
    assert [a["workdir"] for n, a in worker.commands if n == "shell"][1:4] == ["source"] * 3


@pytest_twisted.ensureDeferred
async def test_a_revision_already_present_is_not_fetched_again(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"], known=[SHA])
    stamps = {"": {"codebase": "", "branch": "main", "revision": SHA}}
    await run(steps.Git(repourl=URL, branch="main"), worker, tmp_path, sourcestamps=stamps)
    argvs = shell_argvs(worker)
    assert FETCH not in argvs
    assert git("-c", "advice.detachedHead=false", "checkout", "-f", SHA, "--") in argvs


@pytest_twisted.ensureDeferred
async def test_a_revision_off_the_branch_is_fetched_by_id(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"])
    stamps = {"": {"codebase": "", "branch": "main", "revision": OTHER}}
    await run(steps.Git(repourl=URL, branch="main"), worker, tmp_path, sourcestamps=stamps)
    argvs = shell_argvs(worker)
    by_id = git("fetch", "-f", "-t", "--progress", "--", URL, OTHER)
    assert argvs.index(FETCH) < argvs.index(by_id)


@pytest_twisted.ensureDeferred
async def test_an_unknown_symbolic_revision_fails_with_its_name(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"])
    stamps = {"": {"codebase": "", "branch": "main", "revision": "no-such-tag"}}
    step = steps.Git(repourl=URL, branch="main")
    outcome = await run(step, worker, tmp_path, sourcestamps=stamps)
    assert outcome.result == FAILURE
    assert "revision 'no-such-tag' is not in" in outcome.status


@pytest_twisted.ensureDeferred
async def test_always_use_latest_ignores_the_stamps_revision_but_keeps_its_branch(
    tmp_path: Path,
) -> None:
    worker = GitWorker(checkouts=["build"])
    stamps = {"": {"codebase": "", "branch": "release", "revision": SHA}}
    step = steps.Git(repourl=URL, branch="main", alwaysUseLatest=True)
    await run(step, worker, tmp_path, sourcestamps=stamps)
    argvs = shell_argvs(worker)
    assert git("fetch", "-f", "-t", "--progress", "--", URL, "release") in argvs
    assert git("-c", "advice.detachedHead=false", "checkout", "-f", "FETCH_HEAD", "--") in argvs


@pytest_twisted.ensureDeferred
async def test_retry_fetch_tries_a_failed_fetch_once_more(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"], fail={"fetch": [128]})
    outcome = await run(steps.Git(repourl=URL, branch="main", retryFetch=True), worker, tmp_path)
    assert outcome.result == SUCCESS
    assert shell_argvs(worker).count(FETCH) == 2
    assert "retryFetch: fetching again" in outcome.logs["stdio"]


@pytest_twisted.ensureDeferred
async def test_a_failed_fetch_fails_the_step_naming_the_command(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"], fail={"fetch": [128]})
    outcome = await run(steps.Git(repourl=URL, branch="main"), worker, tmp_path)
    assert outcome.result == FAILURE
    assert outcome.status == "git fetch failed (exit code 128) (failure)"
    assert "fatal: fetch went wrong" in outcome.logs["stdio"]
    assert outcome.properties.getProperty("got_revision") is None


@pytest_twisted.ensureDeferred
async def test_clobber_on_failure_clones_afresh_when_the_update_fails(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"], fail={"fetch": [128]})
    step = steps.Git(repourl=URL, branch="main", clobberOnFailure=True)
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == SUCCESS
    assert shell_argvs(worker)[2] == CLONE
    assert "clobberOnFailure" in outcome.logs["stdio"]


@pytest_twisted.ensureDeferred
async def test_retry_repeats_a_failed_clone_after_the_delay(tmp_path: Path) -> None:
    worker = GitWorker(fail={"clone": [128]})
    build, _ = make_build(worker, tmp_path)

    step = steps.Git(repourl=URL, branch="main", retry=(30, 1)).new_instance()
    running = defer.ensureDeferred(run_step(build, step))
    clock = build.master.reactor
    await until(lambda: any(call.getTime() == 30 for call in clock.getDelayedCalls()))
    assert shell_argvs(worker).count(CLONE) == 1
    build.master.reactor.advance(30)
    assert await running == SUCCESS
    assert shell_argvs(worker).count(CLONE) == 2


@pytest_twisted.ensureDeferred
async def test_a_worker_without_git_gets_a_clear_failure(tmp_path: Path) -> None:
    worker = GitWorker(fail={"--version": [127]})
    outcome = await run(steps.Git(repourl=URL), worker, tmp_path)
    assert outcome.result == FAILURE
    assert "git is not usable on worker w1" in outcome.status
    assert len(worker.commands) == 1


@pytest_twisted.ensureDeferred
async def test_a_named_codebase_sets_got_revision_as_a_dict(tmp_path: Path) -> None:
    worker = GitWorker()
    step = steps.Git(repourl=URL, codebase="lib", getDescription={"tags": True})
    outcome = await run(
        step, worker, tmp_path, properties={"got_revision": {"app": OTHER}},
    )  # fmt: skip
    assert outcome.properties.getProperty("got_revision") == {"app": OTHER, "lib": SHA}
    assert outcome.properties.getProperty("commit-description") == {"lib": "v1.0-3-g0123456"}
    assert "no source stamp for codebase 'lib'" in outcome.logs["stdio"]


@pytest_twisted.ensureDeferred
async def test_submodules_are_synced_updated_and_cleaned(tmp_path: Path) -> None:
    worker = GitWorker(checkouts=["build"])
    step = steps.Git(repourl=URL, mode="full", method="clean", submodules=True, shallow=True)
    await run(step, worker, tmp_path)
    argvs = shell_argvs(worker)
    assert argvs[-4:-1] == [
        git("submodule", "sync", "--recursive"),
        git(
            "submodule", "update", "--init", "--recursive", "--force", "--depth", "1", "--progress"
        ),
        git("submodule", "foreach", "--recursive", "git clean -f -f -d"),
    ]


@pytest_twisted.ensureDeferred
async def test_a_repourl_that_renders_to_nothing_fails_clearly(tmp_path: Path) -> None:
    worker = GitWorker()
    outcome = await run(steps.Git(repourl=util.Property("repo")), worker, tmp_path)
    assert outcome.result == FAILURE
    assert outcome.status == "repourl rendered to None, not a repository URL (failure)"
    assert worker.commands == []


@pytest_twisted.ensureDeferred
async def test_renderable_options_and_config_reach_the_commands(tmp_path: Path) -> None:
    worker = GitWorker()
    step = steps.Git(
        repourl=util.Interpolate("%(prop:base)s/repo.git"),
        branch=util.Property("wanted"),
        config={"core.autocrlf": "false"},
        env={"GIT_SSH_COMMAND": "ssh -i key"},
    )
    await run(step, worker, tmp_path, properties={"base": "file:///srv", "wanted": "dev"})
    clone = shell_argvs(worker)[1]
    assert clone == [
        "git", "-c", "core.autocrlf=false", "clone", "--branch", "dev", "--progress", "--",
        "file:///srv/repo.git", ".",
    ]  # fmt: skip
    assert worker.commands[0][1]["env"] == {"GIT_SSH_COMMAND": "ssh -i key"}


@pytest_twisted.ensureDeferred
async def test_an_interrupted_checkout_is_cancelled(tmp_path: Path) -> None:
    hang = {"fetch"}

    class Hanging(GitWorker):
        def answer(self, name: str, args: dict[str, Any]) -> list[dict[str, Any]] | None:
            if name == "shell" and args["command"][1] in hang:
                return None
            return super().answer(name, args)

    worker = Hanging(checkouts=["build"])
    build, _ = make_build(worker, tmp_path)

    step = steps.Git(repourl=URL).new_instance()
    running = defer.ensureDeferred(run_step(build, step))
    fetch = git("fetch", "-f", "-t", "--progress", "--", URL, "HEAD")
    await until(lambda: fetch in shell_argvs(worker))
    build.stop("user asked")
    assert await running == CANCELLED
    assert worker.interrupted == ["user asked"]


def test_config_errors_name_the_bad_argument() -> None:
    errors = ErrorCollector("master.cfg")
    steps.Git().check_config(errors)
    steps.Git(repourl=URL, mode="fast").check_config(errors)
    steps.Git(repourl=URL, method="clobber").check_config(errors)
    steps.Git(repourl=URL, mode="full", method="scrub").check_config(errors)
    steps.Git(repourl=URL, shallow="yes", retry=(1,)).check_config(errors)
    messages = [e.message for e in errors.errors]
    assert messages == [
        "Git 'git': repourl is required",
        "Git 'git': mode must be one of incremental, full, not 'fast'",
        "Git 'git': method 'clobber' needs mode='full'",
        "Git 'git': method must be one of clobber, fresh, clean, copy, not 'scrub'",
        "Git 'git': retry must be (delay_seconds, repeats), not (1,)",
        "Git 'git': shallow must be True, False or a depth, not 'yes'",
    ]
    assert all(e.filename == __file__ for e in errors.errors)
