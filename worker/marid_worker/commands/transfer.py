"""File transfers with the master: ``uploadFile``, ``uploadDirectory``, ``downloadFile``.

The master passes remote objects in the arguments: a ``writer`` for uploads
(``write(bytes)``, ``close()``, ``utime((atime, mtime))``, ``unpack()``) and a
``reader`` for downloads (``read(n)`` until ``b''``, ``close()``). Blocks stay
under PB's 640 KiB token limit whatever ``blocksize`` asks for, and one block
is in flight at a time. ``maxsize`` cuts a transfer short: what fits is
delivered, ``stderr`` says it was truncated and ``rc`` is 1.

A directory upload is a tar (plain, ``gz`` or ``bz2``) built in a temporary
file, one entry at a time with a pause for the reactor after each megabyte,
then sent like a file and followed by ``unpack()``.

The aliases ``upload_file``, ``upload_directory`` and ``download_file`` take a
single ``path`` (relative to the builder directory, or absolute) instead of
``workdir`` plus ``workersrc``/``workerdest``.
"""

from __future__ import annotations

import contextlib
import os
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, cast

from marid_worker.commands.base import Command, errno_of
from marid_worker.errors import CommandArgumentError
from marid_worker.reactors import sleep
from marid_worker.wire import RemoteRef, call, is_connection_error

MAX_BLOCK = 512 * 1024
DEFAULT_BLOCK = 16 * 1024
YIELD_EVERY = 1024 * 1024
TAR_MODES = {None: "w", "gz": "w:gz", "bz2": "w:bz2"}


class _Transfer(Command):
    path_arg = ""

    def target(self) -> Path:
        if self.path_arg == "path":
            return self.path(self.args["path"])
        return self.path(self.args.get("workdir"), self.args[self.path_arg])

    @property
    def blocksize(self) -> int:
        return max(1, min(int(self.args.get("blocksize") or DEFAULT_BLOCK), MAX_BLOCK))

    @property
    def maxsize(self) -> int | None:
        value = self.args.get("maxsize")
        return None if value is None else int(value)

    async def run(self) -> None:
        try:
            await self.transfer()
        except Exception as error:
            if is_connection_error(error):
                return  # nobody is left to tell
            self.fail(1, f"{self.name} failed: {error}")

    async def transfer(self) -> None:
        raise NotImplementedError

    async def send_file(self, source: IO[bytes], writer: RemoteRef, label: Path) -> bool:
        """Write ``source`` to ``writer`` in blocks; False (and stderr) when cut at maxsize."""
        sent, limit = 0, self.maxsize
        while not self.interrupted:
            size = self.blocksize if limit is None else min(self.blocksize, limit - sent)
            block = source.read(size) if size > 0 else b""
            if not block:
                if size <= 0 and source.read(1):
                    self.updates.send(
                        "stderr", f"Maximum filesize reached, truncating file '{label}'\n"
                    )
                    return False
                return True
            await call(writer, "write", block)
            sent += len(block)
        self.updates.send("stderr", "transfer interrupted\n")
        return False


class UploadFile(_Transfer):
    name = "uploadFile"
    path_arg = "workersrc"
    required_args = ("workersrc", "writer")

    async def transfer(self) -> None:
        source, writer = self.target(), self.args["writer"]
        self.updates.header(f"sending {source}\n")
        try:
            handle = source.open("rb")
        except OSError as error:
            await _quietly(writer, "close")
            self.fail(1, f"Cannot open file '{source}' for upload: {error.strerror}")
            return
        with handle:
            stat = os.fstat(handle.fileno())
            complete = await self.send_file(handle, writer, source)
        await call(writer, "close")
        if self.args.get("keepstamp"):
            await call(writer, "utime", (stat.st_atime, stat.st_mtime))
        self.updates.send("rc", 0 if complete else 1)


class UploadFileByPath(UploadFile):
    name = "upload_file"
    path_arg = "path"
    required_args = ("path", "writer")


class UploadDirectory(_Transfer):
    name = "uploadDirectory"
    path_arg = "workersrc"
    required_args = ("workersrc", "writer")

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        compress = self.args.get("compress")
        if compress not in TAR_MODES:
            raise CommandArgumentError(f"{self.name}: unknown compress {compress!r}")
        self.tar_mode = TAR_MODES[compress]

    async def transfer(self) -> None:
        source, writer = self.target(), self.args["writer"]
        self.updates.header(f"sending {source}\n")
        if not source.is_dir():
            self.fail(1, f"Cannot read directory '{source}' for upload: not a directory")
            return
        with tempfile.TemporaryFile() as archive:
            try:
                await self._pack(source, archive, self.tar_mode)
            except OSError as error:
                self.fail(errno_of(error), f"Cannot read directory '{source}' for upload: {error}")
                return
            archive.seek(0)
            complete = await self.send_file(archive, writer, source)
        if complete:
            await call(writer, "unpack")
        self.updates.send("rc", 0 if complete else 1)

    async def _pack(self, source: Path, archive: IO[bytes], mode: str) -> None:
        packed = 0
        # typeshed types each mode as its own Literal; the value comes from TAR_MODES.
        with tarfile.open(fileobj=archive, mode=cast(Any, mode)) as tar:
            for full, name in _tree(source):
                info = tar.gettarinfo(full, arcname=name)
                tar.add(full, arcname=name, recursive=False)
                packed += info.size
                if packed >= YIELD_EVERY:
                    packed = 0
                    await sleep(self.reactor, 0)
                if self.interrupted:
                    return


def _tree(source: Path) -> Iterator[tuple[str, str]]:
    """Every entry below ``source`` (not following links): (path, name relative to source)."""
    for top, dirs, files in os.walk(source):
        dirs.sort()
        for name in [*dirs, *sorted(files)]:
            full = os.path.join(top, name)
            yield full, os.path.relpath(full, source)


class UploadDirectoryByPath(UploadDirectory):
    name = "upload_directory"
    path_arg = "path"
    required_args = ("path", "writer")


class DownloadFile(_Transfer):
    name = "downloadFile"
    path_arg = "workerdest"
    required_args = ("workerdest", "reader")

    async def transfer(self) -> None:
        target, reader = self.target(), self.args["reader"]
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle = target.open("wb")
        except OSError as error:
            await _quietly(reader, "close")
            self.fail(
                errno_of(error), f"Cannot open file '{target}' for download: {error.strerror}"
            )
            return
        with handle:
            complete = await self._receive(reader, handle, target)
        await call(reader, "close")
        mode = self.args.get("mode")
        if mode is not None:
            os.chmod(target, int(mode))
        self.updates.send("rc", 0 if complete else 1)

    async def _receive(self, reader: RemoteRef, handle: IO[bytes], target: Path) -> bool:
        received, limit = 0, self.maxsize
        while not self.interrupted:
            size = self.blocksize if limit is None else min(self.blocksize, limit - received)
            data = await call(reader, "read", max(size, 1))
            if isinstance(data, str):
                data = data.encode("utf-8")
            if not data:
                return True
            if size <= 0:
                self.updates.send(
                    "stderr", f"Maximum filesize reached, truncating file '{target}'\n"
                )
                return False
            handle.write(data)
            received += len(data)
        self.updates.send("stderr", "transfer interrupted\n")
        return False


class DownloadFileByPath(DownloadFile):
    name = "download_file"
    path_arg = "path"
    required_args = ("path", "reader")


async def _quietly(ref: Any, method: str) -> None:
    """Call ``method`` on ``ref`` and ignore any error: we are already reporting one."""
    with contextlib.suppress(Exception):
        await call(ref, method)
