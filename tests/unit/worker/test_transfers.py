"""File and directory transfers over PB: blocks, checksums, limits, tar unpacking, modes."""

from __future__ import annotations

import hashlib
import io
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest

from tests.unit.worker.loopback import AttachedWorker, Reader, Writer

MB = 1024 * 1024


@pytest.fixture
def b1(worker: AttachedWorker) -> Any:
    return worker.builders("b1")["b1"]


@pytest.fixture
def build(worker: AttachedWorker, b1: Any) -> Path:
    path = worker.basedir / "b1" / "build"
    path.mkdir()
    return path


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def test_a_multi_megabyte_upload_arrives_intact_in_blocks(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    data = os.urandom(5 * MB + 123)
    (build / "big.bin").write_bytes(data)
    os.utime(build / "big.bin", (1_600_000_000, 1_600_000_100))
    writer = Writer()
    args = {
        "workdir": "build",
        "workersrc": "big.bin",
        "writer": writer,
        "maxsize": None,
        "blocksize": 256 * 1024,
        "keepstamp": True,
    }
    ref = worker.run(b1, "uploadFile", args)
    assert sha256(writer.data) == sha256(data)
    assert writer.calls.count("write") == 21
    assert writer.calls[-2:] == ["close", "utime"]
    assert writer.utimes == [(1_600_000_000.0, 1_600_000_100.0)]
    assert ref.values("rc") == [0]
    assert ref.text("header") == f"sending {build / 'big.bin'}\n"


def test_blocks_stay_under_the_pb_token_limit_whatever_blocksize_says(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    (build / "f").write_bytes(b"z" * (2 * MB))
    writer = Writer()
    ref = worker.run(
        b1,
        "uploadFile",
        {
            "workdir": "build",
            "workersrc": "f",
            "writer": writer,
            "maxsize": None,
            "blocksize": 4 * MB,
            "keepstamp": False,
        },
    )
    assert ref.values("rc") == [0]
    assert len(writer.data) == 2 * MB
    assert writer.calls == ["write"] * 4 + ["close"]


def test_an_upload_over_maxsize_is_truncated_with_a_message_and_rc_1(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    (build / "f").write_bytes(b"a" * 1000)
    writer = Writer()
    ref = worker.run(
        b1,
        "uploadFile",
        {
            "workdir": "build",
            "workersrc": "f",
            "writer": writer,
            "maxsize": 600,
            "blocksize": 256,
            "keepstamp": False,
        },
    )
    assert writer.data == b"a" * 600
    assert ref.values("rc") == [1]
    assert "Maximum filesize reached, truncating file" in ref.text("stderr")
    assert "close" in writer.calls


def test_an_upload_exactly_at_maxsize_is_complete(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    (build / "f").write_bytes(b"a" * 600)
    writer = Writer()
    ref = worker.run(
        b1,
        "uploadFile",
        {
            "workdir": "build",
            "workersrc": "f",
            "writer": writer,
            "maxsize": 600,
            "blocksize": 256,
            "keepstamp": False,
        },
    )
    assert ref.values("rc") == [0]
    assert ref.text("stderr") == ""


def test_uploading_a_missing_file_closes_the_writer_and_fails(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    writer = Writer()
    ref = worker.run(
        b1,
        "uploadFile",
        {
            "workdir": "build",
            "workersrc": "nope",
            "writer": writer,
            "maxsize": None,
            "blocksize": 1024,
            "keepstamp": False,
        },
    )
    assert writer.calls == ["close"]
    assert ref.values("rc") == [1]
    assert f"Cannot open file '{build / 'nope'}' for upload" in ref.text("stderr")


def test_upload_file_alias_takes_one_path(worker: AttachedWorker, b1: Any, build: Path) -> None:
    (build / "f").write_bytes(b"alias")
    writer = Writer()
    ref = worker.run(
        b1,
        "upload_file",
        {
            "path": str(build / "f"),
            "writer": writer,
            "maxsize": None,
            "blocksize": 1024,
            "keepstamp": False,
        },
    )
    assert ref.values("rc") == [0]
    assert writer.data == b"alias"


@pytest.mark.parametrize(("compress", "mode"), [("gz", "r:gz"), ("bz2", "r:bz2"), (None, "r:")])
def test_a_directory_upload_is_a_tar_then_unpack(
    worker: AttachedWorker, b1: Any, build: Path, compress: str | None, mode: str
) -> None:
    tree = build / "out"
    (tree / "sub" / "empty").mkdir(parents=True)
    big = os.urandom(3 * MB)
    (tree / "big.bin").write_bytes(big)
    (tree / "sub" / "note.txt").write_text("note\n")
    (tree / "link").symlink_to("sub/note.txt")
    writer = Writer()
    ref = worker.run(
        b1,
        "uploadDirectory",
        {
            "workdir": "build",
            "workersrc": "out",
            "writer": writer,
            "maxsize": None,
            "blocksize": 256 * 1024,
            "compress": compress,
        },
    )
    assert ref.values("rc") == [0]
    assert writer.calls[-1] == "unpack"
    with tarfile.open(fileobj=io.BytesIO(writer.data), mode=mode) as tar:  # type: ignore[call-overload]
        names = sorted(tar.getnames())
        assert names == ["big.bin", "link", "sub", "sub/empty", "sub/note.txt"]
        assert sha256(tar.extractfile("big.bin").read()) == sha256(big)  # type: ignore[union-attr]
        assert tar.getmember("link").issym()
        assert tar.getmember("link").linkname == "sub/note.txt"


def test_a_missing_directory_fails_the_upload(worker: AttachedWorker, b1: Any, build: Path) -> None:
    writer = Writer()
    ref = worker.run(
        b1,
        "uploadDirectory",
        {
            "workdir": "build",
            "workersrc": "nope",
            "writer": writer,
            "maxsize": None,
            "blocksize": 1024,
            "compress": None,
        },
    )
    assert ref.values("rc") == [1]
    assert "unpack" not in writer.calls
    assert "Cannot read directory" in ref.text("stderr")


def test_an_unknown_compression_is_refused_at_start(worker: AttachedWorker, b1: Any) -> None:
    from twisted.spread import pb

    with pytest.raises(pb.RemoteError, match="unknown compress 'xz'"):
        worker.call(
            b1,
            "startCommand",
            None,
            "1",
            "uploadDirectory",
            {"workdir": "build", "workersrc": "d", "writer": Writer(), "compress": "xz"},
        )


def test_a_multi_megabyte_download_arrives_intact_with_its_mode(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    data = os.urandom(4 * MB + 7)
    reader = Reader(data)
    ref = worker.run(
        b1,
        "downloadFile",
        {
            "workdir": "build",
            "workerdest": "sub/dir/got.bin",
            "reader": reader,
            "maxsize": None,
            "blocksize": 16384,
            "mode": 0o750,
        },
    )
    target = build / "sub" / "dir" / "got.bin"
    assert sha256(target.read_bytes()) == sha256(data)
    assert stat.S_IMODE(target.stat().st_mode) == 0o750
    assert reader.closed
    assert set(reader.reads) == {16384}
    assert ref.values("rc") == [0]


def test_a_download_over_maxsize_is_truncated(worker: AttachedWorker, b1: Any, build: Path) -> None:
    reader = Reader(b"b" * 5000)
    ref = worker.run(
        b1,
        "downloadFile",
        {
            "workdir": "build",
            "workerdest": "f",
            "reader": reader,
            "maxsize": 1000,
            "blocksize": 16384,
            "mode": None,
        },
    )
    assert (build / "f").read_bytes() == b"b" * 1000
    assert ref.values("rc") == [1]
    assert "Maximum filesize reached" in ref.text("stderr")
    assert reader.closed


def test_a_download_to_an_impossible_place_fails_with_errno(
    worker: AttachedWorker, b1: Any, build: Path
) -> None:
    (build / "file").write_text("in the way")
    reader = Reader(b"data")
    ref = worker.run(
        b1,
        "downloadFile",
        {
            "workdir": "build",
            "workerdest": "file/sub/x",
            "reader": reader,
            "maxsize": None,
            "blocksize": 16384,
            "mode": None,
        },
    )
    assert ref.values("rc") != [0]
    assert "Cannot open file" in ref.text("stderr")
    assert reader.closed
    assert ref.completed == [None]


def test_download_file_alias_takes_one_path(worker: AttachedWorker, b1: Any, build: Path) -> None:
    reader = Reader(b"hello")
    ref = worker.run(
        b1,
        "download_file",
        {"path": "build/x.txt", "reader": reader, "maxsize": None, "blocksize": 2, "mode": None},
    )
    assert ref.values("rc") == [0]
    assert (build / "x.txt").read_bytes() == b"hello"
