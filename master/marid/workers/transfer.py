"""The master's side of file transfers: writers for uploads, readers for downloads.

A worker uploading calls ``write(data)`` on a writer reference, then
``close()``, then possibly ``utime((atime, mtime))``; a directory upload sends a
tar stream and calls ``unpack()``. Uploads go to a temporary file beside the
destination and are renamed into place on ``close``, so a reader never sees a
half-written file and an interrupted upload leaves nothing (call ``cancel()``
when the command fails). ``maxsize`` is enforced here too: a worker that sends
more is refused and the partial file removed.

Directory uploads are unpacked safely: absolute names, ``..`` components,
links that point outside the destination, and device or FIFO entries are
refused with a clear error, and nothing is written outside the destination.

A download reads from a ``FileReader`` with ``read(maxlength)`` until ``b''``.
"""

from __future__ import annotations

import contextlib
import os
import tarfile
import tempfile
from typing import IO

from twisted.spread import pb

# Banana refuses strings over 640 KiB; keep each block well under it.
MAX_BLOCK = 512 * 1024


class TransferError(pb.Error):
    """Sent back to the worker as the reason a transfer was refused."""


class FileWriter(pb.Referenceable):
    def __init__(self, destfile: str, *, maxsize: int | None = None, mode: int | None = None):
        self.destfile = os.path.abspath(destfile)
        self.maxsize = maxsize
        self.mode = mode
        self.size = 0
        self.closed = False
        directory = os.path.dirname(self.destfile)
        os.makedirs(directory, exist_ok=True)
        fd, self.tmpname = tempfile.mkstemp(
            dir=directory, prefix=f".{os.path.basename(self.destfile)}.", suffix=".part"
        )
        self._file: IO[bytes] | None = os.fdopen(fd, "wb")

    def remote_write(self, data: bytes | str) -> None:
        if self._file is None:
            raise TransferError("write after close")
        if isinstance(data, str):
            data = data.encode("utf-8")
        if self.maxsize is not None and self.size + len(data) > self.maxsize:
            self.cancel()
            raise TransferError(f"upload exceeds maxsize of {self.maxsize} bytes")
        self._file.write(data)
        self.size += len(data)

    def remote_utime(self, times: tuple[float, float] | list[float]) -> None:
        atime, mtime = times
        target = self.destfile if self.closed else self.tmpname
        os.utime(target, (atime, mtime))

    def remote_close(self) -> None:
        if self._file is None:
            return
        self._file.close()
        self._file = None
        if self.mode is not None:
            os.chmod(self.tmpname, self.mode)
        os.replace(self.tmpname, self.destfile)
        self.closed = True

    def cancel(self) -> None:
        """Drop a transfer that will not complete; the destination is left untouched."""
        if self._file is not None:
            self._file.close()
            self._file = None
        if not self.closed:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmpname)


class DirectoryWriter(FileWriter):
    """Receives a (possibly gz/bz2-compressed) tar stream and unpacks it into ``destdir``."""

    def __init__(self, destdir: str, *, maxsize: int | None = None, compress: str | None = None):
        self.destdir = os.path.abspath(destdir)
        os.makedirs(self.destdir, exist_ok=True)
        super().__init__(os.path.join(self.destdir, ".marid-upload.tar"), maxsize=maxsize)
        self.compress = compress
        self.unpacked = False

    def remote_close(self) -> None:
        # A directory upload ends with unpack(); close only flushes the stream.
        if self._file is not None:
            self._file.flush()

    def remote_unpack(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
        try:
            with tarfile.open(self.tmpname, "r:*") as archive:
                members = archive.getmembers()
                for member in members:
                    check_member(member, self.destdir)
                archive.extractall(self.destdir, members=members, filter="data")
        except tarfile.TarError as error:
            raise TransferError(f"cannot unpack the uploaded directory: {error}") from None
        finally:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(self.tmpname)
        self.unpacked = True


def _inside(path: str, root: str) -> bool:
    return os.path.commonpath([path, root]) == root


def check_member(member: tarfile.TarInfo, destdir: str) -> None:
    """Raise ``TransferError`` if extracting ``member`` could touch anything outside ``destdir``."""
    name = member.name
    if os.path.isabs(name) or name.startswith(("/", "\\")):
        raise TransferError(f"refusing absolute path in upload: {name!r}")
    if ".." in name.replace("\\", "/").split("/"):
        raise TransferError(f"refusing '..' in upload: {name!r}")
    target = os.path.realpath(os.path.join(destdir, name))
    if not _inside(target, os.path.realpath(destdir)):
        raise TransferError(f"refusing path outside the destination: {name!r}")
    if member.issym() or member.islnk():
        base = destdir if member.islnk() else os.path.dirname(os.path.join(destdir, name))
        link = os.path.realpath(os.path.join(base, member.linkname))
        if os.path.isabs(member.linkname) or not _inside(link, os.path.realpath(destdir)):
            raise TransferError(
                f"refusing link out of the destination: {name!r} -> {member.linkname!r}"
            )
    if member.isdev() or member.isfifo():
        raise TransferError(f"refusing special file in upload: {name!r}")


class FileReader(pb.Referenceable):
    """Serves a file (or any binary stream) to a downloading worker."""

    def __init__(self, source: IO[bytes]):
        self._source: IO[bytes] | None = source

    @classmethod
    def open(cls, path: str) -> FileReader:
        return cls(open(path, "rb"))  # closed by remote_close or cancel

    def remote_read(self, maxlength: int) -> bytes:
        if self._source is None:
            return b""
        return self._source.read(max(0, min(int(maxlength), MAX_BLOCK)))

    def remote_close(self) -> None:
        self.cancel()

    def cancel(self) -> None:
        if self._source is not None:
            self._source.close()
            self._source = None
