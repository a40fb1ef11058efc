"""Worker file-system steps: the commands they send and how their answers become results."""

from __future__ import annotations

import stat
from pathlib import Path
from typing import Any

import pytest_twisted

from marid.config.errors import ErrorCollector
from marid.plugins import steps
from marid.process.results import FAILURE, SUCCESS
from tests.unit.steps.harness import ScriptedWorker, run


def answering(*updates: dict[str, Any]) -> ScriptedWorker:
    return ScriptedWorker(lambda name, args: list(updates))


def without_log_environ(worker: ScriptedWorker) -> list[tuple[str, dict[str, Any]]]:
    return [(n, {k: v for k, v in a.items() if k != "logEnviron"}) for n, a in worker.commands]


@pytest_twisted.ensureDeferred
async def test_each_step_sends_its_command_with_paths_relative_to_the_builder(
    tmp_path: Path,
) -> None:
    worker = answering({"rc": 0})
    for step in (
        steps.MakeDirectory(dir="build/a"),
        steps.RemoveDirectory(dir="build/b", maxTime=60),
        steps.CopyDirectory(src="build/a", dest="build/c"),
    ):
        assert (await run(step, worker, tmp_path)).result == SUCCESS
    assert without_log_environ(worker) == [
        ("mkdir", {"dir": "build/a"}),
        ("rmdir", {"dir": "build/b", "timeout": 1200, "maxTime": 60}),
        ("cpdir", {"fromdir": "build/a", "todir": "build/c", "timeout": 120, "maxTime": None}),
    ]


@pytest_twisted.ensureDeferred
async def test_file_exists_wants_a_regular_file(tmp_path: Path) -> None:
    regular = (stat.S_IFREG | 0o644, 0, 0, 0, 0, 0, 5, 0, 0, 0)
    directory = (stat.S_IFDIR | 0o755, 0, 0, 0, 0, 0, 0, 0, 0, 0)
    found = await run(steps.FileExists(file="f"), answering({"stat": regular}, {"rc": 0}), tmp_path)
    assert (found.result, found.status) == (SUCCESS, "file found: f")
    folder = await run(
        steps.FileExists(file="d"), answering({"stat": directory}, {"rc": 0}), tmp_path
    )
    assert (folder.result, folder.status) == (FAILURE, "not a file: d (failure)")
    missing = await run(
        steps.FileExists(file="m"),
        answering({"header": "stat: No such file or directory: m\n"}, {"rc": 2}),
        tmp_path,
    )
    assert (missing.result, missing.status) == (FAILURE, "file not found: m (failure)")
    assert "No such file or directory" in missing.logs["stdio"]


@pytest_twisted.ensureDeferred
async def test_a_failed_command_names_the_errno_or_exit_code(tmp_path: Path) -> None:
    made = await run(steps.MakeDirectory(dir="x"), answering({"rc": 13}), tmp_path)
    assert made.status == "creating x failed (Permission denied, error 13) (failure)"
    removed = await run(steps.RemoveDirectory(dir="x"), answering({"rc": 1}), tmp_path)
    assert removed.status == "removing x failed (exit code 1) (failure)"


def test_config_errors_name_the_missing_path() -> None:
    errors = ErrorCollector("master.cfg")
    steps.MakeDirectory().check_config(errors)
    steps.CopyDirectory(src="a", dest=3).check_config(errors)
    assert [e.message for e in errors.errors] == [
        "MakeDirectory 'MakeDirectory': dir is required",
        "CopyDirectory 'CopyDirectory': dest must be a worker path, not 3",
    ]
