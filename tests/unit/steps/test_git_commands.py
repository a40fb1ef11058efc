"""The git command lines the Git step runs, read as plain argv lists."""

from __future__ import annotations

from marid.steps.git_commands import GitCommands, depth_of, is_commit_id

URL = "https://example.org/repo.git"


def test_clone_names_the_branch_depth_and_progress_and_targets_the_current_directory() -> None:
    git = GitCommands(URL, branch="release", shallow=True, progress=True)
    assert git.clone() == [
        "git", "clone", "--branch", "release", "--depth", "1", "--progress", "--", URL, ".",
    ]  # fmt: skip


def test_clone_of_head_takes_the_remote_default_branch_and_full_history_when_asked() -> None:
    git = GitCommands(URL, shallow=5)
    assert git.clone() == ["git", "clone", "--depth", "5", "--", URL, "."]
    assert git.clone(shallow=False) == ["git", "clone", "--", URL, "."]
    assert GitCommands(URL, branch="b").clone(with_branch=False) == ["git", "clone", "--", URL, "."]


def test_fetch_names_the_url_and_branch_so_a_changed_repourl_takes_effect() -> None:
    git = GitCommands(URL, branch="main")
    assert git.fetch() == ["git", "fetch", "-f", "-t", "--", URL, "main"]
    assert git.fetch("abc123") == ["git", "fetch", "-f", "-t", "--", URL, "abc123"]
    shallow = GitCommands(URL, shallow=3, progress=True)
    assert shallow.fetch() == [
        "git", "fetch", "-f", "-t", "--depth", "3", "--progress", "--", URL, "HEAD",
    ]  # fmt: skip
    assert shallow.fetch(shallow=False)[:5] == ["git", "fetch", "-f", "-t", "--progress"]


def test_config_options_come_before_every_subcommand() -> None:
    git = GitCommands(URL, config={"protocol.file.allow": "always", "core.autocrlf": "false"})
    assert git.rev_parse_head() == [
        "git", "-c", "protocol.file.allow=always", "-c", "core.autocrlf=false", "rev-parse", "HEAD",
    ]  # fmt: skip
    assert git.version() == ["git", "--version"]


def test_checkout_is_forced_and_a_named_branch_is_repointed() -> None:
    git = GitCommands(URL, branch="main")
    assert git.checkout("FETCH_HEAD") == [
        "git", "-c", "advice.detachedHead=false", "checkout", "-f", "FETCH_HEAD", "--",
    ]  # fmt: skip
    assert git.name_branch() == ["git", "checkout", "-B", "main"]
    assert GitCommands(URL).name_branch() is None
    assert git.has_commit("abc") == ["git", "cat-file", "-e", "abc^{commit}"]


def test_clean_keeps_ignored_files_unless_fresh() -> None:
    git = GitCommands(URL)
    assert git.clean(ignored=False) == ["git", "clean", "-f", "-f", "-d"]
    assert git.clean(ignored=True) == ["git", "clean", "-f", "-f", "-d", "-x"]
    assert git.submodule_clean(ignored=True) == [
        "git", "submodule", "foreach", "--recursive", "git clean -f -f -d -x",
    ]  # fmt: skip


def test_submodule_update_follows_shallow_and_progress() -> None:
    assert GitCommands(URL).submodule_update() == [
        "git", "submodule", "update", "--init", "--recursive", "--force",
    ]  # fmt: skip
    assert GitCommands(URL, shallow=True, progress=True).submodule_update()[-3:] == [
        "--depth", "1", "--progress",
    ]  # fmt: skip
    assert GitCommands(URL).submodule_sync() == ["git", "submodule", "sync", "--recursive"]


def test_describe_options_follow_buildbots_get_description() -> None:
    git = GitCommands(URL)
    assert git.describe() == ["git", "describe"]
    options = {"match": "v*", "abbrev": 7, "tags": True, "dirty": True, "always": False}
    assert git.describe(options) == [
        "git", "describe", "--match=v*", "--abbrev=7", "--tags", "--dirty",
    ]  # fmt: skip
    assert git.describe({"dirty": "-modified"}) == ["git", "describe", "--dirty=-modified"]


def test_depth_and_commit_ids() -> None:
    assert [depth_of(v) for v in (False, True, 1, 10, 0)] == [None, 1, 1, 10, 1]
    assert is_commit_id("a" * 40) and is_commit_id("0" * 64)
    assert not is_commit_id("main") and not is_commit_id("A" * 40) and not is_commit_id("a" * 39)
