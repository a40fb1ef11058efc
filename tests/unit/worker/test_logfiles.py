"""Following ``logfiles`` while a command runs: polling, leftovers, follow, truncation."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from twisted.internet.task import Clock

from marid_worker.commands.logfiles import LogFileSpec, LogFileWatcher, parse_logfiles


def watch(tmp_path: Path, follow: bool = False) -> tuple[Clock, LogFileWatcher, list[bytes]]:
    clock = Clock()
    seen: list[bytes] = []
    spec = LogFileSpec("test", "test.log", follow)
    watcher = LogFileWatcher(
        clock, spec, tmp_path / "test.log", lambda name, data: seen.append(data)
    )
    watcher.start()
    return clock, watcher, seen


def test_a_new_file_is_sent_as_it_grows_and_at_the_end(tmp_path: Path) -> None:
    clock, watcher, seen = watch(tmp_path)
    clock.advance(1)
    assert seen == []
    (tmp_path / "test.log").write_bytes(b"one\n")
    clock.advance(1)
    assert seen == [b"one\n"]
    with (tmp_path / "test.log").open("ab") as f:
        f.write(b"two\n")
    watcher.stop()
    assert seen == [b"one\n", b"two\n"]
    assert clock.getDelayedCalls() == []


def test_an_untouched_leftover_file_is_not_sent(tmp_path: Path) -> None:
    (tmp_path / "test.log").write_bytes(b"from the last build\n")
    clock, watcher, seen = watch(tmp_path)
    clock.advance(5)
    watcher.stop()
    assert seen == []


def test_a_rewritten_leftover_is_sent_from_its_start(tmp_path: Path) -> None:
    path = tmp_path / "test.log"
    path.write_bytes(b"old\n")
    _clock, watcher, seen = watch(tmp_path)
    with path.open("ab") as f:
        f.write(b"new\n")
    watcher.stop()
    assert b"".join(seen) == b"old\nnew\n"


def test_follow_sends_only_what_is_appended(tmp_path: Path) -> None:
    path = tmp_path / "test.log"
    path.write_bytes(b"old\n")
    clock, watcher, seen = watch(tmp_path, follow=True)
    with path.open("ab") as f:
        f.write(b"new\n")
    clock.advance(1)
    watcher.stop()
    assert seen == [b"new\n"]


def test_a_truncated_file_is_read_again_from_the_start(tmp_path: Path) -> None:
    path = tmp_path / "test.log"
    clock, watcher, seen = watch(tmp_path)
    path.write_bytes(b"long first content\n")
    clock.advance(1)
    path.write_bytes(b"short\n")
    os.utime(path, ns=(1, 1))
    watcher.stop()
    assert seen == [b"long first content\n", b"short\n"]


def test_logfiles_argument_forms() -> None:
    specs = parse_logfiles({"a": "a.log", "b": {"filename": "b.log", "follow": True}})
    assert specs == [LogFileSpec("a", "a.log", False), LogFileSpec("b", "b.log", True)]
    assert parse_logfiles(None) == []
    with pytest.raises(ValueError):
        parse_logfiles({"c": 3})
