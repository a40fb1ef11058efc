"""Reading a small file from the worker into memory (``getFileContentFromWorker``).

The worker uploads the file with ``uploadFile`` into a ``MemoryWriter``;
``maxsize`` caps what the worker may send (the worker truncates and reports
it). A missing file or any other failure raises ``StepFailed`` naming the
path, so the step fails with a clear message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from twisted.spread import pb

from marid.workers.transfer import MAX_BLOCK

if TYPE_CHECKING:
    from marid.process.buildstep import BuildStep

DEFAULT_MAXSIZE = 1024 * 1024


class MemoryWriter(pb.Referenceable):
    """An upload target that keeps the bytes."""

    def __init__(self, maxsize: int) -> None:
        self.maxsize = maxsize
        self.parts: list[bytes] = []
        self.size = 0

    def remote_write(self, data: bytes | str) -> None:
        block = data.encode("utf-8") if isinstance(data, str) else data
        self.size += len(block)
        if self.size > self.maxsize:
            raise pb.Error(f"the file is larger than {self.maxsize} bytes")
        self.parts.append(block)

    def remote_utime(self, times: object) -> None:
        pass

    def remote_close(self) -> None:
        pass


async def read_worker_file(step: BuildStep, path: str, maxsize: int | None) -> str:
    """The text of ``path`` (relative to the step's workdir) on the step's worker."""
    from marid.process.buildstep import StepFailed

    limit = maxsize if maxsize is not None else DEFAULT_MAXSIZE
    writer = MemoryWriter(limit)
    errors: list[str] = []
    args = {
        "workdir": step.workdir or step.build.workdir,
        "workersrc": path,
        "writer": writer,
        "maxsize": limit,
        "blocksize": min(MAX_BLOCK, 64 * 1024),
        "keepstamp": False,
    }

    def on_output(stream: str, text: str) -> None:
        if stream == "stderr":
            errors.append(text)

    result = await step.run_command("uploadFile", args, on_output=on_output)
    if result.rc != 0:
        reason = "".join(errors).strip() or f"exit code {result.rc}"
        raise StepFailed(f"cannot read {path} from the worker: {reason}")
    return b"".join(writer.parts).decode("utf-8", "replace")
