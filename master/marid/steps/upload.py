"""Uploads from worker to master: ``FileUpload``, ``DirectoryUpload``, ``MultipleFileUpload``.

``masterdest`` is relative to the master's base directory and ``workersrc``
to the step's work directory (see ``transfer_base`` for the path rules and
for why a failed upload never replaces an existing file). ``url`` (with
``urlText``, default the destination's name) is added to the step once
everything is uploaded.

A directory upload may unpack at most ``max_unpacked_size`` bytes of files
(default: ``maxsize`` when that is set, else 10 GiB) in at most
``max_members`` entries (default 100,000); see ``marid.workers.unpack``.
The unpack runs in a thread; interrupting the step stops it, and the step
ends only once it has stopped, with the destination either untouched or
holding the whole upload.

``MultipleFileUpload`` uploads each of ``workersrcs`` into the directory
``masterdest`` under its own name, as a file or as a directory according to
what the worker's ``stat`` says; with ``glob=True`` each entry is a pattern
expanded on the worker (recursive ``**`` allowed), and no match at all makes
the step SKIPPED. ``uploadDone(result, source, masterdest)`` and
``allUploadsDone(result, sources, masterdest)`` are hooks for subclasses.
"""

from __future__ import annotations

import os
import stat
from typing import Any, ClassVar

from marid.config.errors import ErrorCollector
from marid.process.renderables import is_renderable
from marid.process.results import SKIPPED, SUCCESS
from marid.steps.paths import worker_basename
from marid.steps.transfer_base import DOWNLOAD_BLOCKSIZE, StagedFileWriter, TransferStep
from marid.workers.transfer import DirectoryWriter

COMPRESSIONS = (None, "gz", "bz2")


class _Uploader(TransferStep):
    """Uploads of single files and directories, and the ``url`` shown afterwards."""

    renderables: ClassVar[tuple[str, ...]] = ("masterdest", "url", "urlText")

    def __init__(
        self,
        *,
        masterdest: Any,
        keepstamp: bool = False,
        compress: str | None = None,
        url: Any = None,
        urlText: Any = None,
        max_unpacked_size: int | None = None,
        max_members: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.masterdest = masterdest
        self.keepstamp = keepstamp
        self.compress = compress
        self.max_unpacked_size = max_unpacked_size
        self.max_members = max_members
        self.url = url
        self.urlText = urlText

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not self.masterdest:
            self.config_error(errors, "masterdest is required")
        elif not isinstance(self.masterdest, str) and not is_renderable(self.masterdest):
            self.config_error(errors, f"masterdest must be a path, not {self.masterdest!r}")
        if not isinstance(self.keepstamp, bool):
            self.config_error(errors, "keepstamp must be True or False")
        if self.compress not in COMPRESSIONS:
            self.config_error(
                errors, f"compress must be None, 'gz' or 'bz2', not {self.compress!r}"
            )
        for label in ("max_unpacked_size", "max_members"):
            value = getattr(self, label)
            if value is not None and (
                not isinstance(value, int) or isinstance(value, bool) or value < 0
            ):
                self.config_error(errors, f"{label} must be a non-negative integer, not {value!r}")

    async def destination(self) -> str:
        return self.master_path(await self.path_argument(self.masterdest, "masterdest"))

    async def _upload(
        self, command: str, source: str, dest: str, make_writer: Any, **extra: Any
    ) -> tuple[int, Any]:
        """Run the worker's ``command`` into the writer ``make_writer()`` opens at ``dest``."""
        try:
            writer = make_writer()
        except OSError as error:
            await self.fail(f"cannot write {dest} on the master: {error.strerror}")
        args = {
            "workdir": self.work_dir,
            "workersrc": source,
            "writer": writer,
            "maxsize": self.maxsize,
            "blocksize": self.blocksize,
            **extra,
        }
        self._writer = writer
        try:
            result, _ = await self.transfer(
                command, args, cancel=writer.cancel, what=f"uploading {source}"
            )
        finally:
            self._writer = None
            if isinstance(writer, DirectoryWriter):
                await writer.settled()  # a worker that did not wait; or a cancelled unpack
        return result, writer

    _writer: Any = None

    def interrupt(self, reason: str) -> None:
        super().interrupt(reason)
        if isinstance(self._writer, DirectoryWriter):
            self._writer.stop()  # the worker waits for unpack(): stop it rather than wait

    async def upload_file(self, source: str, dest: str) -> int:
        result, writer = await self._upload(
            "uploadFile",
            source,
            dest,
            lambda: StagedFileWriter(dest, maxsize=self.maxsize, mode=self.mode),
            keepstamp=self.keepstamp,
        )
        if result == SUCCESS:
            writer.commit()
        return result

    async def upload_directory(self, source: str, dest: str) -> int:
        result, writer = await self._upload(
            "uploadDirectory",
            source,
            dest,
            lambda: DirectoryWriter(
                dest,
                reactor=self.master.reactor,
                maxsize=self.maxsize,
                compress=self.compress,
                max_unpacked_size=self.max_unpacked_size,
                max_members=self.max_members,
            ),
            compress=self.compress,
        )
        if result == SUCCESS and writer.refusal:
            await self.fail(f"uploading {source} failed: {writer.refusal}")
        if result == SUCCESS and not writer.unpacked:
            await self.fail(f"uploading {source} failed: the worker sent no directory")
        return result

    async def add_result_url(self, default_text: str) -> None:
        if self.url:
            await self.add_url(str(self.urlText or default_text), str(self.url))


class _SingleUploader(_Uploader):
    """An upload of one ``workersrc`` to ``masterdest``; subclasses say how in ``upload_to``."""

    workersrc: Any

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        _check_source(self, self.workersrc, "workersrc", errors)

    async def upload_to(self, source: str, dest: str) -> int:
        raise NotImplementedError

    async def run(self) -> int:
        dest = await self.destination()
        source = await self.path_argument(self.workersrc, "workersrc")
        await self.set_state_string(f"uploading {worker_basename(self, source)}")
        result = await self.upload_to(source, dest)
        if result == SUCCESS:
            await self.add_result_url(os.path.basename(dest))
        return result


class FileUpload(_SingleUploader):
    """Copy ``workersrc`` from the worker to ``masterdest`` on the master."""

    name = "upload"
    description = "uploading"
    descriptionDone = "uploaded"
    renderables: ClassVar[tuple[str, ...]] = ("workersrc",)

    def __init__(
        self,
        workersrc: Any = None,
        masterdest: Any = None,
        mode: int | None = None,
        keepstamp: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(masterdest=masterdest, mode=mode, keepstamp=keepstamp, **kwargs)
        self.workersrc = workersrc

    async def upload_to(self, source: str, dest: str) -> int:
        return await self.upload_file(source, dest)


class DirectoryUpload(_SingleUploader):
    """Copy the directory ``workersrc`` from the worker into ``masterdest`` on the master."""

    name = "upload"
    description = "uploading"
    descriptionDone = "uploaded"
    default_blocksize = DOWNLOAD_BLOCKSIZE
    renderables: ClassVar[tuple[str, ...]] = ("workersrc",)

    def __init__(
        self,
        workersrc: Any = None,
        masterdest: Any = None,
        compress: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(masterdest=masterdest, compress=compress, **kwargs)
        self.workersrc = workersrc

    async def upload_to(self, source: str, dest: str) -> int:
        return await self.upload_directory(source, dest)


class MultipleFileUpload(_Uploader):
    """Upload several files and directories into the directory ``masterdest``."""

    name = "upload"
    description = "uploading"
    descriptionDone = "uploaded"
    renderables: ClassVar[tuple[str, ...]] = ("workersrcs",)

    def __init__(
        self,
        workersrcs: Any = None,
        masterdest: Any = None,
        glob: bool = False,
        mode: int | None = None,
        keepstamp: bool = False,
        compress: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(
            masterdest=masterdest, mode=mode, keepstamp=keepstamp, compress=compress, **kwargs
        )
        self.workersrcs = workersrcs
        self.glob = glob

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        sources = self.workersrcs
        if isinstance(sources, str) or is_renderable(sources):
            pass
        elif not isinstance(sources, list | tuple) or not sources:
            self.config_error(errors, "workersrcs must be a non-empty list of worker paths")
        else:
            for source in sources:
                _check_source(self, source, "workersrcs entry", errors)
        if not isinstance(self.glob, bool):
            self.config_error(errors, "glob must be True or False")

    async def run(self) -> int:
        masterdest = await self.destination()
        patterns = [self.workersrcs] if isinstance(self.workersrcs, str) else self.workersrcs
        if not isinstance(patterns, list | tuple):
            await self.fail(f"workersrcs rendered to {patterns!r}, not a list of paths")
        sources = [await self.path_argument(item, "workersrcs entry") for item in patterns]
        if self.glob:
            sources = await self._expand(sources)
        if not sources:
            await self.set_state_string("no files to upload")
            log = await self.getLog("stdio")
            log.add_header(f"no file matches {', '.join(map(str, patterns))}\n")
            return SKIPPED
        await self.set_state_string(f"uploading {len(sources)} files")
        for source in sources:
            dest = os.path.join(masterdest, worker_basename(self, source))
            if await self._is_directory(source):
                result = await self.upload_directory(source, dest)
            else:
                result = await self.upload_file(source, dest)
            await self.uploadDone(result, source, masterdest)
            if result != SUCCESS:
                return result
        await self.allUploadsDone(SUCCESS, sources, masterdest)
        await self.add_result_url(os.path.basename(masterdest))
        return SUCCESS

    async def _expand(self, patterns: list[str]) -> list[str]:
        found: list[str] = []
        for pattern in patterns:
            path = self.worker_path(self.work_dir, pattern)
            result = await self.run_command("glob", {"path": path, "logEnviron": False})
            if result.rc != 0:
                await self.fail(f"expanding {pattern} on the worker failed (error {result.rc})")
            found += [name for name in sorted(result.files or []) if name not in found]
        return found

    async def _is_directory(self, source: str) -> bool:
        args = {"file": source, "workdir": self.work_dir, "logEnviron": False}
        result = await self.run_command("stat", args)
        if result.rc != 0 or result.stat is None:
            await self.fail(f"uploading {source} failed: it does not exist on the worker")
        mode = int(result.stat[stat.ST_MODE])
        if not stat.S_ISDIR(mode) and not stat.S_ISREG(mode):
            await self.fail(f"uploading {source} failed: it is neither a file nor a directory")
        return stat.S_ISDIR(mode)

    async def uploadDone(self, result: int, source: str, masterdest: str) -> None:
        """Called after each upload; override to act on single files."""

    async def allUploadsDone(self, result: int, sources: list[str], masterdest: str) -> None:
        """Called once every upload has succeeded."""


def _check_source(step: TransferStep, value: Any, label: str, errors: ErrorCollector) -> None:
    if not value:
        step.config_error(errors, f"{label} is required")
    elif not isinstance(value, str) and not is_renderable(value):
        step.config_error(errors, f"{label} must be a worker path, not {value!r}")
