"""What the transfer steps share: master paths, staged writers, running one transfer.

Paths follow ``paths.py``: a master path (``masterdest``, ``mastersrc``) is
relative to the master's base directory, a worker path (``workersrc``,
``workerdest``) to the step's work directory, unless absolute.

An upload goes to a hidden temporary file beside its destination. The
worker's ``close()`` only ends the writing: the step puts the file in place
(``commit``) once the worker has reported success, and removes it otherwise
(``cancel``), so a failed, truncated or interrupted upload never replaces
what was at the destination, even with a worker that calls ``close()`` after
failing to open its source (buildbot-worker does).

``TransferStep.transfer`` runs one transfer command: output to the ``stdio``
log, the worker's error text kept for the status line, the writer or reader
cancelled on any failure (including a lost worker), FAILURE for a non-zero
``rc`` and CANCELLED for an interrupt.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any, ClassVar, NoReturn

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.remotecommand import CommandResult
from marid.process.renderables import is_renderable
from marid.process.results import CANCELLED, SUCCESS
from marid.steps.paths import master_path, step_workdir
from marid.workers.transfer import FileWriter

UPLOAD_BLOCKSIZE = 256 * 1024
DOWNLOAD_BLOCKSIZE = 16 * 1024


class StagedFileWriter(FileWriter):
    """A ``FileWriter`` whose ``close()`` finishes writing; ``commit()`` puts the file in place."""

    def __init__(self, destfile: str, *, maxsize: int | None = None, mode: int | None = None):
        super().__init__(destfile, maxsize=maxsize, mode=mode)
        self.written = False

    def remote_close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None
            self.written = True

    def commit(self) -> None:
        """Rename the finished upload into place (applying ``mode``)."""
        self.remote_close()
        if self.mode is not None:
            os.chmod(self.tmpname, self.mode)
        os.replace(self.tmpname, self.destfile)
        self.closed = True


class TransferStep(BuildStep):
    """Base class of the transfer steps: ``workdir``, ``maxsize``, ``blocksize``, ``mode``."""

    haltOnFailure = True
    flunkOnFailure = True
    default_blocksize: ClassVar[int] = UPLOAD_BLOCKSIZE

    def __init__(
        self,
        *,
        maxsize: int | None = None,
        blocksize: int | None = None,
        mode: int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.maxsize = maxsize
        self.blocksize = blocksize if blocksize is not None else self.default_blocksize
        self.mode = mode

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        for label in ("maxsize", "blocksize", "mode"):
            value = getattr(self, label)
            if value is None or is_renderable(value):
                continue
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                self.config_error(errors, f"{label} must be a non-negative integer, not {value!r}")
        if isinstance(self.blocksize, int) and self.blocksize == 0:
            self.config_error(errors, "blocksize must be at least 1")

    def config_error(self, errors: ErrorCollector, message: str) -> None:
        errors.add(f"{type(self).__name__} {self.name!r}: {message}", key="builders", about=self)

    @property
    def work_dir(self) -> str:
        """The work directory worker paths are relative to."""
        return step_workdir(self)

    def master_path(self, path: str) -> str:
        return master_path(self.master_basedir, path)

    async def path_argument(self, value: Any, label: str) -> str:
        """``value`` if it rendered to a non-empty string; otherwise fail the step saying so."""
        if not isinstance(value, str) or not value:
            await self.fail(f"{label} rendered to {value!r}, not a path")
        return value

    async def transfer(
        self,
        command: str,
        args: dict[str, Any],
        *,
        cancel: Callable[[], None],
        what: str,
    ) -> tuple[int, CommandResult]:
        """Run one transfer command; ``cancel`` undoes the master's side unless it succeeded.

        Returns SUCCESS or CANCELLED with the command's result; a non-zero
        ``rc`` raises ``StepFailed`` saying what failed and the worker's reason.
        """
        errors: list[str] = []

        def on_output(stream: str, text: str) -> None:
            if stream == "stderr":
                errors.append(text)

        args = {"logEnviron": False, **args}
        try:
            result = await self.run_command(command, args, on_output=on_output)
        except BaseException:
            cancel()
            raise
        if result.interrupted or self.interrupted:
            cancel()
            return CANCELLED, result
        if result.rc != 0:
            cancel()
            reason = "".join(errors).strip().splitlines()
            await self.fail(f"{what} failed: {reason[0] if reason else f'exit code {result.rc}'}")
        return SUCCESS, result

    async def fail(self, message: str) -> NoReturn:
        """End the step with FAILURE: ``message`` in the ``stdio`` log and the status line."""
        log = await self.getLog("stdio")
        log.add_header(message + "\n")
        raise StepFailed(message)
