"""Downloads from the master to the worker: a master file, a string, JSON, the build's properties.

``FileDownload`` sends ``mastersrc`` (relative to the master's base
directory) to ``workerdest`` (relative to the step's work directory; by
default the source's name). ``StringDownload`` sends the rendered ``s``,
``JSONStringDownload`` the rendered ``o`` as JSON, and
``JSONPropertiesDownload`` ``{"properties": {...}, "sourcestamps": [...]}``
for the running build. ``mode`` sets the file's permissions on the worker;
``maxsize`` cuts the download short (and fails the step).

A missing or unreadable master file, a value that is not a string or not
JSON-serialisable fail the step with the reason in its log and status line.
"""

from __future__ import annotations

import io
import json
import os
from typing import Any, ClassVar

from marid.config.errors import ErrorCollector
from marid.process.renderables import is_renderable
from marid.steps.transfer_base import DOWNLOAD_BLOCKSIZE, TransferStep
from marid.workers.transfer import FileReader


class _Downloader(TransferStep):
    """Sends one stream from the master to ``workerdest`` on the worker."""

    name = "download"
    description = "downloading"
    descriptionDone = "downloaded"
    default_blocksize = DOWNLOAD_BLOCKSIZE
    renderables: ClassVar[tuple[str, ...]] = ("workerdest",)

    def __init__(self, *, workerdest: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.workerdest = workerdest

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        dest = self.workerdest
        if dest is not None and not isinstance(dest, str) and not is_renderable(dest):
            self.config_error(errors, f"workerdest must be a path, not {self.workerdest!r}")

    async def download(self, reader: FileReader, workerdest: Any, what: str) -> int:
        try:
            dest = await self.path_argument(workerdest, "workerdest")
            await self.set_state_string(f"downloading to {dest}")
            args = {
                "workdir": self.work_dir,
                "workerdest": dest,
                "reader": reader,
                "maxsize": self.maxsize,
                "blocksize": self.blocksize,
                "mode": self.mode,
            }
            result, _ = await self.transfer(
                "downloadFile", args, cancel=reader.cancel, what=f"downloading {what} to {dest}"
            )
            return result
        finally:
            reader.cancel()

    async def download_text(self, text: Any, label: str) -> int:
        if isinstance(text, str):
            data = text.encode("utf-8")
        elif isinstance(text, bytes):
            data = text
        else:
            await self.fail(f"{label} rendered to {type(text).__name__} {text!r}, not a string")
        return await self.download(FileReader(io.BytesIO(data)), self.workerdest, label)

    async def download_json(self, value: Any, label: str) -> int:
        try:
            text = json.dumps(value)
        except (TypeError, ValueError) as error:
            await self.fail(f"{label} cannot be written as JSON: {error}")
        return await self.download_text(text, label)


class FileDownload(_Downloader):
    """Copy ``mastersrc`` from the master to ``workerdest`` on the worker."""

    renderables: ClassVar[tuple[str, ...]] = ("mastersrc",)

    def __init__(
        self,
        mastersrc: Any = None,
        workerdest: Any = None,
        mode: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(workerdest=workerdest, mode=mode, **kwargs)
        self.mastersrc = mastersrc

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not self.mastersrc:
            self.config_error(errors, "mastersrc is required")
        elif not isinstance(self.mastersrc, str) and not is_renderable(self.mastersrc):
            self.config_error(errors, f"mastersrc must be a path, not {self.mastersrc!r}")

    async def run(self) -> int:
        mastersrc = await self.path_argument(self.mastersrc, "mastersrc")
        source = self.master_path(mastersrc)
        try:
            reader = FileReader.open(source)
        except OSError as error:
            await self.fail(f"cannot read {mastersrc} on the master ({source}): {error.strerror}")
        workerdest = self.workerdest or os.path.basename(source)
        return await self.download(reader, workerdest, mastersrc)


class StringDownload(_Downloader):
    """Write the rendered string ``s`` to ``workerdest`` on the worker."""

    renderables: ClassVar[tuple[str, ...]] = ("s",)

    def __init__(self, s: Any = None, workerdest: Any = None, **kwargs: Any) -> None:
        super().__init__(workerdest=workerdest, **kwargs)
        self.s = s

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not self.workerdest:
            self.config_error(errors, "workerdest is required")
        if self.s is None:
            self.config_error(errors, "s (the text to download) is required")

    async def run(self) -> int:
        return await self.download_text(self.s, "s")


class JSONStringDownload(_Downloader):
    """Write the rendered value ``o`` as JSON to ``workerdest`` on the worker."""

    renderables: ClassVar[tuple[str, ...]] = ("o",)

    def __init__(self, o: Any = None, workerdest: Any = None, **kwargs: Any) -> None:
        super().__init__(workerdest=workerdest, **kwargs)
        self.o = o

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not self.workerdest:
            self.config_error(errors, "workerdest is required")

    async def run(self) -> int:
        return await self.download_json(self.o, "o")


class JSONPropertiesDownload(_Downloader):
    """Write the build's properties and source stamps as JSON to ``workerdest``."""

    def __init__(self, workerdest: Any = None, **kwargs: Any) -> None:
        super().__init__(workerdest=workerdest, **kwargs)

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not self.workerdest:
            self.config_error(errors, "workerdest is required")

    async def run(self) -> int:
        props = self.getProperties()
        stamps = props.render_context.sourcestamps
        document = {
            "properties": {name: props.getProperty(name) for name in props},
            "sourcestamps": [dict(stamps[codebase]) for codebase in sorted(stamps)],
        }
        return await self.download_json(document, "the build's properties")
