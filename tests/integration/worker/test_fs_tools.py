"""``rmdir`` and ``cpdir``, which run ``rm`` and ``cp`` as child processes."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
import pytest_twisted

from tests.integration.worker.conftest import Run, eventually, run_command

pytestmark = pytest.mark.integration


def make_tree(root: Path) -> None:
    (root / "a" / "b").mkdir(parents=True)
    (root / "a" / "b" / "f.txt").write_text("content\n")
    (root / "a" / "link").symlink_to("b/f.txt")
    os.chmod(root / "a" / "b", stat.S_IRUSR | stat.S_IXUSR)  # read-only directory


@pytest_twisted.ensureDeferred
async def test_rmdir_removes_trees_even_with_read_only_dirs(builder_dir: Path) -> None:
    make_tree(builder_dir / "build")
    (builder_dir / "other").mkdir()
    ref = await run_command(builder_dir, "rmdir", {"dir": ["build", "other", "never-existed"]})
    assert ref.values("rc") == [0]
    assert not (builder_dir / "build").exists()
    assert not (builder_dir / "other").exists()
    assert ref.keys[-2:] == ["rc", "elapsed"]
    assert ref.text("header").startswith(f"rm -rf -- {builder_dir / 'build'}\n")


@pytest_twisted.ensureDeferred
async def test_rmdir_accepts_a_single_path_string(builder_dir: Path) -> None:
    (builder_dir / "build").mkdir()
    ref = await run_command(builder_dir, "rmdir", {"dir": "build"})
    assert ref.values("rc") == [0]
    assert not (builder_dir / "build").exists()


@pytest_twisted.ensureDeferred
async def test_cpdir_copies_a_tree_keeping_links(builder_dir: Path) -> None:
    make_tree(builder_dir / "src")
    ref = await run_command(builder_dir, "cpdir", {"fromdir": "src", "todir": "copy"})
    assert ref.values("rc") == [0]
    assert (builder_dir / "copy" / "a" / "b" / "f.txt").read_text() == "content\n"
    assert (builder_dir / "copy" / "a" / "link").is_symlink()
    assert "->" in ref.text("stdout")
    os.chmod(builder_dir / "src" / "a" / "b", stat.S_IRWXU)
    os.chmod(builder_dir / "copy" / "a" / "b", stat.S_IRWXU)


@pytest_twisted.ensureDeferred
async def test_cpdir_of_a_missing_source_fails_with_cp_s_message(builder_dir: Path) -> None:
    ref = await run_command(builder_dir, "cpdir", {"fromdir": "nope", "todir": "copy"})
    assert ref.values("rc") == [1]
    assert "nope" in ref.text("stderr")


@pytest_twisted.ensureDeferred
async def test_an_interrupted_rmdir_reports_minus_one(
    builder_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A slow "rm" (first on PATH) stands in for a huge tree.
    fake_bin = builder_dir / "bin"
    fake_bin.mkdir()
    (fake_bin / "rm").write_text('#!/bin/sh\ntouch "$PWD/rm-started"\nsleep 60\n')
    (fake_bin / "rm").chmod(0o755)
    monkeypatch.setenv("PATH", f"{fake_bin}{os.pathsep}{os.environ['PATH']}")
    run = Run(builder_dir, "rmdir", {"dir": "build"})
    await eventually((builder_dir / "rm-started").exists)
    run.command.interrupt("stop")
    ref = await run.wait()
    assert ref.values("rc") == [-1]
    assert run.seconds < 30
