"""Unpacking an uploaded directory (a plain, gz or bz2 tar) safely and within limits.

``unpack_archive`` extracts into a hidden staging directory beside the
destination and moves the result into place only when the whole archive has
been read, so a refused upload leaves nothing behind and never half-replaces
what was there. Extraction is done here member by member, not by
``tarfile.extractall``, so that nothing is trusted from the headers alone:

- the bytes written are counted while they are written, and the decompressed
  stream the tar reader sees is itself bounded, so neither a tiny bz2 that
  expands hugely nor a header claiming a huge size (a pax record, a long
  name) gets past ``UnpackLimits.max_bytes``;
- at most ``UnpackLimits.max_members`` entries are read;
- only regular files, directories, symbolic links and hard links are
  accepted: sparse members (their header lies about the size on disk),
  devices, FIFOs and unknown types are refused, as are absolute names, ``..``
  and links that point out of the destination.

Every refusal raises ``UnpackRefused`` with a message that says why (and which
limit was hit). Existing entries in the destination are merged with, as a tar
extraction would: files are replaced, directories kept, except that a file
never replaces a directory (or the other way round).

``unpack_archive`` blocks for as long as the archive takes, so the master runs
it in a thread (``transfer.DirectoryWriter``). It may be stopped from another
thread through ``stop`` (anything with ``is_set()``, e.g. a
``threading.Event``): the flag is checked before every member, between the
chunks of a file and while the merge is checked, and a stopped unpack raises
``UnpackCancelled`` having left nothing behind. Once the merge's moves (plain
renames) have begun they are finished, so the destination is never left
half-merged: it ends as it was or with the whole upload.
"""

from __future__ import annotations

import bz2
import gzip
import os
import shutil
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from typing import IO, Protocol

CHUNK = 256 * 1024
# Tar headers, padding and extended (pax, long name) records a member may need.
HEADER_ALLOWANCE = 8 * 1024
ACCEPTED_TYPES = (
    tarfile.REGTYPE,
    tarfile.AREGTYPE,
    tarfile.CONTTYPE,
    tarfile.DIRTYPE,
    tarfile.SYMTYPE,
    tarfile.LNKTYPE,
)


class UnpackRefused(Exception):
    """The archive is unsafe or over a limit; nothing was left in the destination."""


class UnpackCancelled(Exception):
    """The unpack was stopped before it finished; nothing was left in the destination."""


class StopFlag(Protocol):
    """What ``unpack_archive`` polls to know it should stop (``threading.Event`` fits)."""

    def is_set(self) -> bool: ...


class _NeverStop:
    def is_set(self) -> bool:
        return False


def _check_stop(stop: StopFlag) -> None:
    if stop.is_set():
        raise UnpackCancelled("the upload was cancelled before it was unpacked")


@dataclass(frozen=True)
class UnpackLimits:
    """The most an upload may unpack: file bytes and entries, and the names to report them by."""

    max_bytes: int
    max_members: int
    bytes_name: str = "max_unpacked_size"
    members_name: str = "max_members"


def unpack_archive(
    archive_path: str, destdir: str, limits: UnpackLimits, stop: StopFlag | None = None
) -> None:
    """Extract ``archive_path`` into ``destdir`` (created if missing).

    Raises ``UnpackRefused`` for an unsafe or too large archive and
    ``UnpackCancelled`` when ``stop`` is set before the merge's moves begin.
    """
    stop = stop or _NeverStop()
    destdir = os.path.abspath(destdir)
    parent = os.path.dirname(destdir)
    os.makedirs(parent, exist_ok=True)
    name = os.path.basename(destdir)
    staging = tempfile.mkdtemp(dir=parent, prefix=f".{name}.", suffix=".unpack")
    try:
        budget = limits.max_bytes + (limits.max_members + 2) * HEADER_ALLOWANCE
        with _open_decompressed(archive_path) as raw:
            stream = _BoundedReader(raw, budget, limits)
            try:
                # tarfile needs only read, seek and tell, not a whole IO[bytes].
                with tarfile.open(fileobj=stream, mode="r:") as archive:  # type: ignore[call-overload]
                    _extract(archive, staging, limits, stop)
            except (
                tarfile.TarError,
                EOFError,
                OSError,
                ValueError,
                RecursionError,  # tarfile recurses once per chained extended header
                zlib.error,
            ) as error:
                raise UnpackRefused(f"cannot unpack the uploaded directory: {error}") from None
        _merge(staging, destdir, stop)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _open_decompressed(path: str) -> gzip.GzipFile | bz2.BZ2File | IO[bytes]:
    with open(path, "rb") as probe:
        magic = probe.read(3)
    if magic.startswith(b"\x1f\x8b"):
        return gzip.open(path, "rb")
    if magic == b"BZh":
        return bz2.open(path, "rb")
    return open(path, "rb")


class _BoundedReader:
    """A read-only view of a decompressed stream that refuses to go past ``budget`` bytes."""

    def __init__(
        self, raw: gzip.GzipFile | bz2.BZ2File | IO[bytes], budget: int, limits: UnpackLimits
    ):
        self._raw = raw
        self._budget = budget
        self._limits = limits

    def _check(self, position: int) -> None:
        if position > self._budget:
            raise UnpackRefused(_over_bytes(self._limits))

    def read(self, size: int = -1) -> bytes:
        position = self._raw.tell()
        if size < 0:
            size = self._budget - position + 1
        # Checked before reading, so a header claiming gigabytes is never held in memory.
        self._check(position + size)
        return self._raw.read(size)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence not in (os.SEEK_SET, os.SEEK_CUR):
            raise OSError("the upload stream can only be read forwards")
        target = offset if whence == os.SEEK_SET else self._raw.tell() + offset
        self._check(target)
        return self._raw.seek(target)

    def tell(self) -> int:
        return self._raw.tell()


def _over_bytes(limits: UnpackLimits) -> str:
    return (
        f"refusing the upload: it unpacks to more than {limits.max_bytes} bytes "
        f"({limits.bytes_name})"
    )


def _extract(archive: tarfile.TarFile, staging: str, limits: UnpackLimits, stop: StopFlag) -> None:
    written = members = 0
    _check_stop(stop)
    for member in archive:
        _check_stop(stop)
        members += 1
        if members > limits.max_members:
            raise UnpackRefused(
                f"refusing the upload: it has more than {limits.max_members} entries "
                f"({limits.members_name})"
            )
        check_member(member, staging)
        try:
            safe = tarfile.data_filter(member, staging)
        except tarfile.FilterError as error:
            raise UnpackRefused(f"refusing {member.name!r} in upload: {error}") from None
        path = os.path.join(staging, member.name)
        if member.isdir():
            os.makedirs(path, exist_ok=True)
            continue
        os.makedirs(os.path.dirname(path), exist_ok=True)
        if os.path.lexists(path) and not os.path.isdir(path):
            os.unlink(path)
        if member.issym():
            os.symlink(member.linkname, path)
        elif member.islnk():
            os.link(os.path.join(staging, member.linkname), path, follow_symlinks=False)
        else:
            if written + member.size > limits.max_bytes:
                raise UnpackRefused(_over_bytes(limits))
            room = limits.max_bytes - written
            written += _write_file(archive, member, path, room, limits, stop)
            os.chmod(path, (safe.mode or 0o644) & 0o7777)
            os.utime(path, (member.mtime, member.mtime))


def _write_file(
    archive: tarfile.TarFile,
    member: tarfile.TarInfo,
    path: str,
    room: int,
    limits: UnpackLimits,
    stop: StopFlag,
) -> int:
    source = archive.extractfile(member)
    if source is None:
        raise UnpackRefused(f"refusing {member.name!r} in upload: it has no contents")
    count = 0
    with source, open(path, "xb") as target:
        while chunk := source.read(CHUNK):
            count += len(chunk)
            if count > room:
                raise UnpackRefused(_over_bytes(limits))
            target.write(chunk)
            _check_stop(stop)
    return count


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def check_member(member: tarfile.TarInfo, destdir: str) -> None:
    """Raise ``UnpackRefused`` if ``member`` is not a plain entry that stays inside ``destdir``."""
    name = member.name
    if os.path.isabs(name) or name.startswith(("/", "\\")):
        raise UnpackRefused(f"refusing absolute path in upload: {name!r}")
    if ".." in name.replace("\\", "/").split("/"):
        raise UnpackRefused(f"refusing '..' in upload: {name!r}")
    if member.issparse() or member.type == tarfile.GNUTYPE_SPARSE:
        raise UnpackRefused(f"refusing sparse file in upload: {name!r}")
    if member.isdev() or member.isfifo():
        raise UnpackRefused(f"refusing special file in upload: {name!r}")
    if member.type not in ACCEPTED_TYPES:
        raise UnpackRefused(f"refusing entry of unsupported type {member.type!r}: {name!r}")
    target = os.path.realpath(os.path.join(destdir, name))
    if not _inside(target, os.path.realpath(destdir)):
        raise UnpackRefused(f"refusing path outside the destination: {name!r}")
    if member.issym() or member.islnk():
        base = destdir if member.islnk() else os.path.dirname(os.path.join(destdir, name))
        link = os.path.realpath(os.path.join(base, member.linkname))
        if os.path.isabs(member.linkname) or not _inside(link, os.path.realpath(destdir)):
            raise UnpackRefused(
                f"refusing link out of the destination: {name!r} -> {member.linkname!r}"
            )


def _is_real_dir(path: str) -> bool:
    return os.path.isdir(path) and not os.path.islink(path)


def _merge(staging: str, destdir: str, stop: StopFlag) -> None:
    """Move the unpacked tree into ``destdir``; check every conflict before moving anything."""
    _check_stop(stop)
    if not os.path.lexists(destdir):
        os.rename(staging, destdir)
        return
    if not _is_real_dir(destdir):
        raise UnpackRefused(f"refusing the upload: {destdir} exists and is not a directory")
    moves: list[tuple[str, str]] = []
    for top, dirs, files in os.walk(staging):
        _check_stop(stop)
        relative = os.path.relpath(top, staging)
        descend = []
        for name in [*dirs, *files]:
            source = os.path.join(top, name)
            target = os.path.normpath(os.path.join(destdir, relative, name))
            staged_dir = _is_real_dir(source)
            if not os.path.lexists(target):
                moves.append((source, target))
            elif staged_dir and _is_real_dir(target):
                descend.append(name)
            elif staged_dir or _is_real_dir(target):
                what = "a directory" if staged_dir else "a file"
                raise UnpackRefused(
                    f"refusing the upload: {os.path.relpath(target, destdir)!r} is {what} "
                    "in the upload but not in the destination"
                )
            else:
                moves.append((source, target))
        dirs[:] = descend
    _check_stop(stop)  # the last chance: the renames below are quick and always all done
    for source, target in moves:
        os.replace(source, target)
