"""Unpacking uploaded directories: limits on what an archive may unpack, refused entries, merging.

The archives are crafted byte by byte where ``tarfile`` would not write them
(a GNU sparse member, a pax header that claims gigabytes), and compressed with
bz2 so that a few hundred bytes stand for far more.
"""

from __future__ import annotations

import bz2
import io
import os
import tarfile
from pathlib import Path

import pytest
from twisted.internet.task import Clock

from marid.workers.transfer import DirectoryWriter
from marid.workers.unpack import UnpackLimits, UnpackRefused, unpack_archive

GiB = 1024**3


def header(info: tarfile.TarInfo) -> bytes:
    return info.tobuf(tarfile.GNU_FORMAT)


def zeros_member(name: str, size: int) -> bytes:
    """A regular member of ``size`` zero bytes, written without holding it in memory twice."""
    info = tarfile.TarInfo(name)
    info.size = size
    return header(info)


def bz2_tar(*parts: bytes, zeros: int = 0) -> bytes:
    """bz2 of ``parts`` followed by ``zeros`` zero bytes (file data and the end blocks)."""
    compressor = bz2.BZ2Compressor(9)
    out = [compressor.compress(part) for part in parts]
    block = bytes(1024 * 1024)
    remaining = zeros + 1024  # the two zero blocks that end an archive
    while remaining > 0:
        out.append(compressor.compress(block[: min(remaining, len(block))]))
        remaining -= len(block)
    out.append(compressor.flush())
    return b"".join(out)


def with_checksum(block: bytearray) -> bytes:
    block[148:156] = b" " * 8
    block[148:156] = b"%06o\0 " % sum(block)
    return bytes(block)


def gnu_sparse_member(name: str, real_size: int, stored: bytes) -> bytes:
    """A GNU sparse ('S') member: ``stored`` is the only data, at the end of ``real_size``."""
    info = tarfile.TarInfo(name)
    info.type = tarfile.GNUTYPE_SPARSE
    info.size = len(stored)
    block = bytearray(header(info))
    block[386:398] = b"%011o\0" % (real_size - len(stored))  # first map entry: offset
    block[398:410] = b"%011o\0" % len(stored)  # and its length
    block[483:495] = b"%011o\0" % real_size  # the size the file claims on disk
    padded = stored + bytes(-len(stored) % 512)
    return with_checksum(block) + padded


def pax_claiming(size: int) -> bytes:
    """A pax extended header whose size field claims ``size`` bytes (the data is not there)."""
    info = tarfile.TarInfo("././@PaxHeader")
    info.type = tarfile.XHDTYPE
    info.size = size
    return header(info)


def plain_tar(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


class Refused(Exception):
    pass


def upload(tmp_path: Path, data: bytes, **limits: int) -> Path:
    """Send ``data`` as a directory upload; raise ``Refused`` with the reason if it is refused."""
    dest = tmp_path / "up" / "d"
    writer = DirectoryWriter(str(dest), reactor=Clock(), compress="bz2", **limits)
    writer.remote_write(data)
    writer.remote_close()
    writer.remote_unpack()
    if writer.refusal is not None:
        assert not writer.unpacked
        raise Refused(writer.refusal)
    assert writer.unpacked
    return dest


def test_a_small_bz2_that_expands_hugely_is_refused_and_leaves_nothing(tmp_path: Path) -> None:
    size = 100 * 1024 * 1024
    data = bz2_tar(zeros_member("bomb", size), zeros=size + (-size % 512))
    assert len(data) < 1024
    with pytest.raises(Refused, match=r"more than 1048576 bytes \(maxsize"):
        upload(tmp_path, data, maxsize=1 << 20)
    assert list(tmp_path.iterdir()) == []


def test_files_under_the_limit_one_by_one_are_refused_once_their_total_is_over(
    tmp_path: Path,
) -> None:
    data = bz2.compress(plain_tar({f"f{i}": bytes(300_000) for i in range(5)}))
    with pytest.raises(Refused, match=r"more than 1000000 bytes \(max_unpacked_size\)"):
        upload(tmp_path, data, max_unpacked_size=1_000_000)
    assert list(tmp_path.iterdir()) == []
    dest = upload(tmp_path, data, max_unpacked_size=1_500_000)
    assert sorted(p.name for p in dest.iterdir()) == [f"f{i}" for i in range(5)]


def test_maxsize_bounds_the_unpacked_bytes_unless_max_unpacked_size_is_given(
    tmp_path: Path,
) -> None:
    data = bz2.compress(plain_tar({"f": bytes(50_000)}))
    assert len(data) < 1000
    with pytest.raises(Refused, match="set max_unpacked_size to allow more"):
        upload(tmp_path, data, maxsize=1000)
    dest = upload(tmp_path, data, maxsize=1000, max_unpacked_size=60_000)
    assert (dest / "f").stat().st_size == 50_000


def test_a_gnu_sparse_member_is_refused_before_anything_is_written(tmp_path: Path) -> None:
    data = bz2_tar(gnu_sparse_member("disk.img", 2 * GiB, b"end" * 100))
    with tarfile.open(fileobj=io.BytesIO(bz2.decompress(data))) as archive:
        member = archive.next()
        assert member is not None and member.issparse() and member.size == 2 * GiB
    with pytest.raises(Refused, match=r"refusing sparse file in upload: 'disk\.img'"):
        upload(tmp_path, data)
    assert list(tmp_path.iterdir()) == []


def test_a_header_claiming_gigabytes_is_refused_without_reading_it(tmp_path: Path) -> None:
    data = bz2_tar(pax_claiming(8 * GiB))
    limits = UnpackLimits(max_bytes=1 << 20, max_members=10)
    archive = tmp_path / "a.tar.bz2"
    archive.write_bytes(data)
    with pytest.raises(UnpackRefused, match="more than 1048576 bytes"):
        unpack_archive(str(archive), str(tmp_path / "d"), limits)
    assert [p.name for p in tmp_path.iterdir()] == ["a.tar.bz2"]


def test_too_many_members_are_refused_naming_the_limit(tmp_path: Path) -> None:
    data = bz2.compress(plain_tar({f"e{i}": b"" for i in range(11)}))
    with pytest.raises(Refused, match=r"more than 10 entries \(max_members\)"):
        upload(tmp_path, data, max_members=10)
    assert list(tmp_path.iterdir()) == []
    assert len(list(upload(tmp_path, data, max_members=11).iterdir())) == 11


def test_an_upload_merges_into_an_existing_directory(tmp_path: Path) -> None:
    dest = tmp_path / "up" / "d"
    (dest / "sub").mkdir(parents=True)
    (dest / "keep.txt").write_text("kept")
    (dest / "sub" / "old.txt").write_text("old")
    (dest / "same.txt").write_text("before")
    data = bz2.compress(plain_tar({"same.txt": b"after", "sub/new.txt": b"new", "n/x": b"x"}))
    upload(tmp_path, data)
    assert (dest / "keep.txt").read_text() == "kept"
    assert (dest / "same.txt").read_text() == "after"
    assert sorted(p.name for p in (dest / "sub").iterdir()) == ["new.txt", "old.txt"]
    assert (dest / "n" / "x").read_text() == "x"
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == ["d"]


def test_a_file_over_a_directory_is_refused_and_the_destination_left_as_it_was(
    tmp_path: Path,
) -> None:
    dest = tmp_path / "up" / "d"
    (dest / "sub").mkdir(parents=True)
    data = bz2.compress(plain_tar({"a.txt": b"a", "sub": b"file"}))
    with pytest.raises(Refused, match="'sub' is a file in the upload"):
        upload(tmp_path, data)
    assert [p.name for p in dest.iterdir()] == ["sub"]
    assert sorted(p.name for p in (tmp_path / "up").iterdir()) == ["d"]


def test_an_unknown_member_type_is_refused(tmp_path: Path) -> None:
    info = tarfile.TarInfo("odd")
    info.type = b"Z"
    data = bz2_tar(header(info))
    with pytest.raises(Refused, match="unsupported type"):
        upload(tmp_path, data)
    assert list(tmp_path.iterdir()) == []


def test_hard_links_inside_the_upload_are_kept(tmp_path: Path) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as archive:
        info = tarfile.TarInfo("a")
        info.size = 2
        archive.addfile(info, io.BytesIO(b"hi"))
        link = tarfile.TarInfo("b")
        link.type = tarfile.LNKTYPE
        link.linkname = "a"
        archive.addfile(link)
    dest = upload(tmp_path, bz2.compress(buffer.getvalue()))
    assert os.stat(dest / "a").st_ino == os.stat(dest / "b").st_ino


def test_a_truncated_archive_or_a_chain_of_extended_headers_is_refused(tmp_path: Path) -> None:
    whole = bz2.compress(plain_tar({"a": bytes(10_000)}))
    with pytest.raises(Refused, match="cannot unpack the uploaded directory"):
        upload(tmp_path, whole[:-40])
    chain = b"".join(
        tarfile.TarInfo("x")._create_pax_generic_header({"comment": "c"}, tarfile.XHDTYPE, "utf-8")
        for _ in range(5000)
    )
    with pytest.raises(Refused, match="cannot unpack the uploaded directory"):
        upload(tmp_path, bz2_tar(chain, zeros_member("f", 0)))
    assert list(tmp_path.iterdir()) == []
