"""Stopping a directory unpack: wherever it stops, nothing is left and the destination is intact.

The unpack runs in a thread on the master. Here the thread pool is played by
the test (``PoolByHand`` runs the queued work when told), so what the writer
does before, during and after its thread is exact and needs no sleeps.
"""

from __future__ import annotations

import io
import os
import tarfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from twisted.internet.interfaces import IReactorThreads
from twisted.internet.testing import MemoryReactorClock
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool
from zope.interface import implementer

from marid.workers.transfer import DirectoryWriter
from marid.workers.unpack import UnpackCancelled, UnpackLimits, unpack_archive

LIMITS = UnpackLimits(max_bytes=1 << 30, max_members=100)


class _QueuedPool(ThreadPool):
    """A thread pool that never starts a thread: its work waits in ``queued``."""

    def __init__(self) -> None:
        super().__init__()
        self.queued: list[tuple[Callable[[bool, Any], object], Callable[[], Any]]] = []

    def callInThreadWithCallback(
        self,
        onResult: Callable[[bool, Any], object] | None,
        func: Callable[..., Any],
        *args: Any,
        **kw: Any,
    ) -> None:
        assert onResult is not None
        self.queued.append((onResult, lambda: func(*args, **kw)))


@implementer(IReactorThreads)
class PoolByHand(MemoryReactorClock):
    """A memory reactor whose thread pool runs its work only in ``run_threads``."""

    def __init__(self) -> None:
        super().__init__()
        self.pool = _QueuedPool()

    @property
    def queued(self) -> list[Any]:
        return self.pool.queued

    def getThreadPool(self) -> ThreadPool:
        return self.pool

    def callInThread(self, callable: Callable[..., Any], *args: Any, **kwargs: Any) -> None:
        raise AssertionError("the writer uses the pool, not callInThread")

    def suggestThreadPoolSize(self, size: int) -> None:
        pass

    def callFromThread(self, callable: Callable[..., Any], *args: object, **kwargs: object) -> None:
        callable(*args, **kwargs)

    def run_threads(self) -> None:
        while self.pool.queued:
            on_result, work = self.pool.queued.pop(0)
            try:
                result = work()
            except Exception:
                on_result(False, Failure())
            else:
                on_result(True, result)


class StopAfter:
    """A stop flag that is set from its ``after + 1``-th look on; counts the looks."""

    def __init__(self, after: int) -> None:
        self.after = after
        self.looks = 0

    def is_set(self) -> bool:
        self.looks += 1
        return self.looks > self.after


def archive_bytes() -> bytes:
    """Files, a directory shared with the destination, and a file of several chunks."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in [
            ("a.txt", b"a"),
            ("shared/new.txt", b"new"),
            ("deep/er/f", b"f"),
            ("big.bin", bytes(700 * 1024)),  # three 256 KiB chunks
            ("z.txt", b"z"),
        ]:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def tree(root: Path) -> list[str]:
    return sorted(str(p.relative_to(root)) for p in root.rglob("*"))


def destination(root: Path) -> Path:
    dest = root / "up" / "d"
    (dest / "shared").mkdir(parents=True)
    (dest / "shared" / "old.txt").write_text("old")
    (dest / "a.txt").write_text("before")
    return dest


def test_an_unpack_stopped_at_any_point_leaves_the_destination_as_it_was(tmp_path: Path) -> None:
    archive = tmp_path / "upload.tar.gz"
    archive.write_bytes(archive_bytes())
    counting = StopAfter(10**9)
    unpack_archive(str(archive), str(destination(tmp_path / "full")), LIMITS, counting)
    looks = counting.looks
    assert looks > 8  # before each member, between chunks, during the merge
    for after in range(looks):
        root = tmp_path / f"stopped-{after}"
        dest = destination(root)
        before = tree(root)
        with pytest.raises(UnpackCancelled, match="cancelled"):
            unpack_archive(str(archive), str(dest), LIMITS, StopAfter(after))
        assert tree(root) == before, f"stopped after {after} looks"
        assert (dest / "a.txt").read_text() == "before"
    done = tmp_path / "not-stopped"
    unpack_archive(str(archive), str(destination(done)), LIMITS, StopAfter(looks))
    assert (done / "up" / "d" / "a.txt").read_text() == "a"
    assert tree(done) == tree(tmp_path / "full")


def writer_for(tmp_path: Path, reactor: PoolByHand) -> DirectoryWriter:
    writer = DirectoryWriter(str(tmp_path / "made" / "for" / "d"), reactor=reactor)
    writer.remote_write(archive_bytes())
    writer.remote_close()
    return writer


def test_unpack_answers_the_worker_only_when_its_thread_is_done(tmp_path: Path) -> None:
    reactor = PoolByHand()
    writer = writer_for(tmp_path, reactor)
    answer = writer.remote_unpack()
    settled = writer.settled()
    assert not answer.called and not settled.called and len(reactor.queued) == 1
    reactor.run_threads()
    assert answer.called and answer.result is None and settled.called
    assert writer.unpacked and writer.refusal is None
    assert tree(tmp_path / "made") == [
        "for", "for/d", "for/d/a.txt", "for/d/big.bin", "for/d/deep", "for/d/deep/er",
        "for/d/deep/er/f", "for/d/shared", "for/d/shared/new.txt", "for/d/z.txt",
    ]  # fmt: skip


def test_a_writer_cancelled_mid_unpack_cleans_up_only_after_its_thread(tmp_path: Path) -> None:
    reactor = PoolByHand()
    writer = writer_for(tmp_path, reactor)
    answer = writer.remote_unpack()
    writer.cancel()  # the step failed or the worker went away while the thread runs
    assert not answer.called
    assert os.path.exists(writer.tmpname)  # still the thread's to read and remove
    reactor.run_threads()
    assert answer.called and answer.result is None  # the worker is never sent an error
    assert not writer.unpacked and "cancelled" in (writer.refusal or "")
    assert list(tmp_path.iterdir()) == []  # nor the directories made for the upload
    writer.cancel()
    assert list(tmp_path.iterdir()) == []


def test_a_shutdown_stops_a_running_unpack_and_waits_for_its_thread(tmp_path: Path) -> None:
    reactor = PoolByHand()
    writer = writer_for(tmp_path, reactor)
    answer = writer.remote_unpack()
    ((trigger, args, kwargs),) = reactor.triggers["before"]["shutdown"]
    shutdown_waits = trigger(*args, **kwargs)
    assert not shutdown_waits.called
    reactor.run_threads()
    assert shutdown_waits.called and answer.called
    assert not writer.unpacked and list(tmp_path.iterdir()) == []
