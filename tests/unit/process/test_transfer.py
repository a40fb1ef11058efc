"""Master-side transfer endpoints: atomic uploads, maxsize, safe unpacking, reads."""

from __future__ import annotations

import io
import os
import re
import tarfile
from pathlib import Path

import pytest
from twisted.internet.task import Clock

from marid.workers.transfer import DirectoryWriter, FileReader, FileWriter, TransferError


def test_upload_appears_only_when_closed_and_keeps_its_stamp(tmp_path: Path) -> None:
    dest = tmp_path / "out" / "artifact.bin"
    writer = FileWriter(str(dest), mode=0o640)
    writer.remote_write(b"a" * 1000)
    writer.remote_write("é")
    assert not dest.exists()
    writer.remote_close()
    writer.remote_utime((1_000_000, 2_000_000))
    assert dest.read_bytes() == b"a" * 1000 + "é".encode()
    assert os.stat(dest).st_mtime == 2_000_000
    assert os.stat(dest).st_mode & 0o777 == 0o640
    assert [p.name for p in dest.parent.iterdir()] == ["artifact.bin"]


def test_maxsize_refuses_and_removes_the_partial_file(tmp_path: Path) -> None:
    dest = tmp_path / "big"
    writer = FileWriter(str(dest), maxsize=10)
    writer.remote_write(b"12345")
    with pytest.raises(TransferError, match="maxsize"):
        writer.remote_write(b"678901")
    assert list(tmp_path.iterdir()) == []


def test_cancelled_upload_leaves_the_old_file(tmp_path: Path) -> None:
    dest = tmp_path / "f"
    dest.write_bytes(b"old")
    writer = FileWriter(str(dest))
    writer.remote_write(b"new")
    writer.cancel()
    assert dest.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == ["f"]


def make_tar(entries: list[tarfile.TarInfo], compress: str = "") -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode=f"w:{compress}") as archive:
        for entry in entries:
            data = b"x" * entry.size if entry.isfile() else None
            archive.addfile(entry, io.BytesIO(data) if data is not None else None)
    return buffer.getvalue()


def entry(
    name: str, kind: bytes = tarfile.REGTYPE, linkname: str = "", size: int = 3
) -> tarfile.TarInfo:
    info = tarfile.TarInfo(name)
    info.type = kind
    info.linkname = linkname
    info.size = size if kind == tarfile.REGTYPE else 0
    return info


@pytest.mark.parametrize("compress", ["", "gz", "bz2"])
def test_directory_upload_unpacks_into_the_destination(tmp_path: Path, compress: str) -> None:
    tar = make_tar(
        [
            entry("a.txt"),
            entry("sub", tarfile.DIRTYPE),
            entry("sub/b.txt"),
            entry("sub/l", tarfile.SYMTYPE, "b.txt"),
        ],
        compress,
    )
    writer = DirectoryWriter(str(tmp_path / "dest"), reactor=Clock(), compress=compress or None)
    writer.remote_write(tar)
    writer.remote_close()
    writer.remote_unpack()
    dest = tmp_path / "dest"
    assert (dest / "a.txt").read_bytes() == b"xxx"
    assert (dest / "sub" / "b.txt").read_bytes() == b"xxx"
    assert os.readlink(dest / "sub" / "l") == "b.txt"
    assert sorted(p.name for p in dest.iterdir()) == ["a.txt", "sub"]


@pytest.mark.parametrize(
    ("bad", "message"),
    [
        (entry("/etc/evil"), "absolute"),
        (entry("../evil"), r"'\.\.'"),
        (entry("ok/../../evil"), r"'\.\.'"),
        (entry("link", tarfile.SYMTYPE, "/etc"), "link out"),
        (entry("link", tarfile.SYMTYPE, "../../outside"), "link out"),
        (entry("hard", tarfile.LNKTYPE, "../outside"), "link out"),
        (entry("dev", tarfile.CHRTYPE), "special file"),
        (entry("blk", tarfile.BLKTYPE), "special file"),
        (entry("fifo", tarfile.FIFOTYPE), "special file"),
    ],
)
def test_unsafe_directory_uploads_are_refused(
    tmp_path: Path, bad: tarfile.TarInfo, message: str
) -> None:
    dest = tmp_path / "dest"
    writer = DirectoryWriter(str(dest), reactor=Clock())
    writer.remote_write(make_tar([entry("fine.txt"), bad]))
    writer.remote_unpack()
    assert not writer.unpacked
    assert re.search(message, writer.refusal or "")
    assert list(tmp_path.iterdir()) == []


def test_reader_serves_blocks_until_eof(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.write_bytes(bytes(range(256)) * 4096)
    reader = FileReader.open(str(source))
    blocks = []
    while block := reader.remote_read(100_000):
        blocks.append(block)
    reader.remote_close()
    assert b"".join(blocks) == source.read_bytes()
    assert max(len(b) for b in blocks) == 100_000
    assert reader.remote_read(10) == b""


def test_reader_caps_blocks_below_the_banana_limit() -> None:
    reader = FileReader(io.BytesIO(b"z" * 2_000_000))
    assert len(reader.remote_read(10_000_000)) == 512 * 1024
