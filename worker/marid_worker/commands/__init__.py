"""The commands a master can run on this worker, by the names it uses on the wire.

Every command is announced in ``getWorkerInfo()['worker_commands']`` with the
version :data:`COMMAND_VERSION`, the one buildbot-worker 4.x reports, so that
a Buildbot master sends its current argument forms.
"""

from __future__ import annotations

from marid_worker.commands.base import Command, CommandContext, execute
from marid_worker.commands.fs import (
    CopyDirectory,
    GlobFiles,
    ListDirectory,
    MakeDirectory,
    RemoveDirectory,
    RemoveFile,
    StatFile,
)
from marid_worker.commands.shell import ShellCommand
from marid_worker.commands.transfer import (
    DownloadFile,
    DownloadFileByPath,
    UploadDirectory,
    UploadDirectoryByPath,
    UploadFile,
    UploadFileByPath,
)

COMMAND_VERSION = "3.3"

COMMANDS: dict[str, type[Command]] = {
    command.name: command
    for command in (
        ShellCommand,
        UploadFile,
        UploadFileByPath,
        UploadDirectory,
        UploadDirectoryByPath,
        DownloadFile,
        DownloadFileByPath,
        MakeDirectory,
        RemoveDirectory,
        CopyDirectory,
        StatFile,
        GlobFiles,
        ListDirectory,
        RemoveFile,
    )
}

__all__ = ["COMMANDS", "COMMAND_VERSION", "Command", "CommandContext", "execute"]
