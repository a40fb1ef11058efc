"""The quick filesystem commands, started by the master over PB: updates, rc and errnos."""

from __future__ import annotations

import errno
import os
from typing import Any

import pytest
from twisted.internet import defer
from twisted.spread import pb

from tests.unit.worker.loopback import AttachedWorker, CommandRef, Reader


@pytest.fixture
def b1(worker: AttachedWorker) -> Any:
    return worker.builders("b1")["b1"]


def test_mkdir_makes_parents_and_an_existing_dir_is_fine(worker: AttachedWorker, b1: Any) -> None:
    ref = worker.run(b1, "mkdir", {"dir": "build/a/b", "logEnviron": True})
    assert ref.keys == ["rc", "elapsed"]
    assert ref.values("rc") == [0]
    assert (worker.basedir / "b1" / "build" / "a" / "b").is_dir()
    assert worker.run(b1, "mkdir", {"dir": "build/a/b"}).values("rc") == [0]
    assert ref.completed == [None]


def test_mkdir_over_a_file_fails_with_its_errno(worker: AttachedWorker, b1: Any) -> None:
    (worker.basedir / "b1" / "file").write_text("x")
    ref = worker.run(b1, "mkdir", {"dir": "file/sub"})
    assert ref.values("rc") == [errno.ENOTDIR]
    assert "mkdir: Not a directory" in ref.text("header")


def test_stat_sends_the_ten_stat_fields(worker: AttachedWorker, b1: Any) -> None:
    target = worker.basedir / "b1" / "build" / "f.txt"
    target.parent.mkdir()
    target.write_bytes(b"12345")
    ref = worker.run(b1, "stat", {"file": "f.txt", "workdir": "build"})
    (result,) = ref.values("stat")
    assert len(result) == 10
    assert result[6] == 5
    assert tuple(result) == tuple(os.stat(target))
    assert ref.keys == ["stat", "rc", "elapsed"]


def test_stat_of_a_missing_file_is_a_header_and_enoent(worker: AttachedWorker, b1: Any) -> None:
    ref = worker.run(b1, "stat", {"file": "nope"})
    assert ref.values("rc") == [errno.ENOENT]
    assert ref.values("stat") == []
    assert (
        ref.text("header") == f"stat: No such file or directory: {worker.basedir / 'b1' / 'nope'}\n"
    )


def test_glob_is_recursive_and_answers_absolute_paths(worker: AttachedWorker, b1: Any) -> None:
    root = worker.basedir / "b1"
    (root / "src" / "pkg").mkdir(parents=True)
    for name in ("src/a.py", "src/pkg/b.py", "src/c.txt"):
        (root / name).write_text("")
    ref = worker.run(b1, "glob", {"path": "src/**/*.py"})
    assert ref.values("files") == [[str(root / "src/a.py"), str(root / "src/pkg/b.py")]]
    assert ref.values("rc") == [0]


def test_listdir_answers_bare_names(worker: AttachedWorker, b1: Any) -> None:
    root = worker.basedir / "b1" / "d"
    root.mkdir()
    (root / "x").write_text("")
    (root / "y").mkdir()
    assert worker.run(b1, "listdir", {"dir": "d"}).values("files") == [["x", "y"]]
    missing = worker.run(b1, "listdir", {"dir": "nope"})
    assert missing.values("rc") == [errno.ENOENT]
    assert missing.values("files") == []


def test_rmfile_removes_a_file_and_reports_a_missing_one(worker: AttachedWorker, b1: Any) -> None:
    target = worker.basedir / "b1" / "f"
    target.write_text("x")
    assert worker.run(b1, "rmfile", {"path": "f"}).values("rc") == [0]
    assert not target.exists()
    assert worker.run(b1, "rmfile", {"path": "f"}).values("rc") == [errno.ENOENT]


def test_absolute_paths_are_used_as_they_are(worker: AttachedWorker, b1: Any) -> None:
    elsewhere = worker.basedir / "elsewhere"
    assert worker.run(b1, "mkdir", {"dir": str(elsewhere)}).values("rc") == [0]
    assert elsewhere.is_dir()


def test_commands_run_one_after_another_with_their_own_ids(worker: AttachedWorker, b1: Any) -> None:
    first = worker.run(b1, "mkdir", {"dir": "one"}, command_id="0")
    second = worker.run(b1, "mkdir", {"dir": "two"}, command_id="1")
    assert first.completed == [None] and second.completed == [None]
    assert worker.bot.builders["b1"].command is None


class SlowReader(Reader):
    """A reader whose first read answers only when the test says so."""

    def __init__(self) -> None:
        super().__init__(b"")
        self.first: defer.Deferred[bytes] = defer.Deferred()

    def remote_read(self, size: int) -> Any:
        self.reads.append(size)
        return self.first if len(self.reads) == 1 else b""


def test_a_second_command_on_a_busy_builder_is_refused_and_the_first_goes_on(
    worker: AttachedWorker, b1: Any
) -> None:
    slow = SlowReader()
    first = CommandRef()
    args = {"workdir": "build", "workerdest": "f", "reader": slow, "maxsize": None, "blocksize": 8}
    worker.call(b1, "startCommand", first, "0", "downloadFile", args)
    with pytest.raises(
        pb.RemoteError,
        match=r"builder 'b1' is still running command 0 \(downloadFile, running\); "
        r"refusing command 1 \(mkdir\): a worker runs one command per builder at a time",
    ):
        worker.call(b1, "startCommand", CommandRef(), "1", "mkdir", {"dir": "other"})
    assert not (worker.basedir / "b1" / "other").exists()
    # another builder of the same worker is not held up
    b2 = worker.call_bot("setBuilderList", [("b1", "b1"), ("b2", "b2")])["b2"]
    assert worker.run(b2, "mkdir", {"dir": "other"}, command_id="2").values("rc") == [0]
    # the first command was left alone: it ends with what the master sends it
    slow.first.callback(b"late")
    worker.endpoint.flush()
    assert first.completed == [None] and first.values("rc") == [0]
    assert (worker.basedir / "b1" / "build" / "f").read_bytes() == b"late"
    # and once it has ended the builder takes commands again
    assert worker.run(b1, "mkdir", {"dir": "other"}, command_id="3").values("rc") == [0]


def test_a_builder_dropped_from_the_list_kills_its_command_and_refuses_new_ones(
    worker: AttachedWorker, b1: Any
) -> None:
    slow = SlowReader()
    first = CommandRef()
    args = {"workdir": "build", "workerdest": "f", "reader": slow, "maxsize": None, "blocksize": 8}
    worker.call(b1, "startCommand", first, "0", "downloadFile", args)
    worker.call_bot("setBuilderList", [("b2", "b2")])
    slow.first.callback(b"late")
    worker.endpoint.flush()
    assert first.completed == []  # killed without a report, as buildbot-worker does
    with pytest.raises(
        pb.RemoteError,
        match=r"builder 'b1' is no longer served by this worker \(the builder was removed\); "
        r"refusing command 1 \(mkdir\)",
    ):
        worker.call(b1, "startCommand", CommandRef(), "1", "mkdir", {"dir": "other"})
