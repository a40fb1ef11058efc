"""The Bot: the object the worker hands the master at login (the PB *mind*).

The master calls it to learn about the worker (``getWorkerInfo``), to say
which builders this worker serves (``setBuilderList``), to print messages
(``print``, also its liveness ping) and to stop the worker (``shutdown``).

``setBuilderList([(name, builddir), ...])`` creates ``BASEDIR/<builddir>``
for each builder, keeps the ``WorkerForBuilder`` of builders that stay (so a
running command survives a reconfig), stops and drops the others (killing
their commands without reporting them, as ``buildbot-worker`` does, and
refusing any command sent to them later), and answers
``{name: WorkerForBuilder}``. Directories in ``BASEDIR`` that no builder uses
(``info`` aside) are reported in the log, or deleted with
``delete_leftover_dirs``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

from twisted.logger import Logger

from marid_worker import __version__
from marid_worker.builder import WorkerForBuilder
from marid_worker.errors import CommandArgumentError
from marid_worker.info import INFO_DIR, worker_commands, worker_info
from marid_worker.reactors import ProcessReactor
from marid_worker.wire import DEFAULT_MAX_REFERENCES, Exposed

SHUTDOWN_DELAY = 0.2

log = Logger()


class Bot(Exposed):
    def __init__(
        self,
        basedir: Path,
        reactor: ProcessReactor,
        *,
        on_shutdown: Callable[[], None],
        numcpus: int | None = None,
        delete_leftover_dirs: bool = False,
        max_references: int = DEFAULT_MAX_REFERENCES,
    ):
        self.basedir = basedir
        self._reactor = reactor
        self._on_shutdown = on_shutdown
        self._numcpus = numcpus
        self._delete_leftover_dirs = delete_leftover_dirs
        self._max_references = max_references
        self.builders: dict[str, WorkerForBuilder] = {}

    def remote_print(self, message: Any) -> None:
        log.info("message from master: {message}", message=message)

    def remote_getWorkerInfo(self) -> dict[str, Any]:
        return worker_info(
            self.basedir,
            numcpus=self._numcpus,
            delete_leftover_dirs=self._delete_leftover_dirs,
            max_references=self._max_references,
        )

    def remote_getCommands(self) -> dict[str, str]:
        return worker_commands()

    def remote_getVersion(self) -> str:
        return __version__

    def remote_shutdown(self) -> None:
        log.info("the master asked this worker to shut down")
        self._reactor.callLater(SHUTDOWN_DELAY, self._on_shutdown)

    def remote_setBuilderList(self, wanted: Any) -> dict[str, WorkerForBuilder]:
        dirs = _parse_builder_list(wanted)
        for name in set(self.builders) - set(dirs):
            log.info("builder {name} is no longer served by this worker", name=name)
            self.builders.pop(name).retire("the builder was removed")
        for name, builddir in dirs.items():
            path = self.basedir / builddir
            path.mkdir(parents=True, exist_ok=True)
            current = self.builders.get(name)
            if current is None or current.builder_dir != path:
                if current is not None:
                    current.retire("the builder moved to another directory")
                self.builders[name] = WorkerForBuilder(name, path, self._reactor)
        self._handle_leftovers({PurePath(builddir).parts[0] for builddir in dirs.values()})
        return dict(self.builders)

    def _handle_leftovers(self, used: set[str]) -> None:
        for entry in sorted(self.basedir.iterdir()):
            if not entry.is_dir() or entry.is_symlink() or entry.name in used | {INFO_DIR}:
                continue
            if self._delete_leftover_dirs:
                log.info("deleting leftover directory {path}", path=entry)
                shutil.rmtree(entry, ignore_errors=True)
            else:
                log.warn(
                    "directory {path} is not used by any builder of this worker; "
                    "create the worker with --delete-leftover-dirs to remove such directories",
                    path=entry,
                )

    def connection_lost(self) -> None:
        """The master went away: kill running commands, their output has nowhere to go."""
        for builder in self.builders.values():
            builder.stop("the connection to the master was lost")

    async def wait_idle(self) -> None:
        for builder in list(self.builders.values()):
            await builder.wait_idle()


def _parse_builder_list(wanted: Any) -> dict[str, str]:
    """``[(name, builddir), ...]`` as ``{name: builddir}``, refusing paths out of BASEDIR."""
    if not isinstance(wanted, list | tuple):
        raise CommandArgumentError("setBuilderList expects a list of (name, builddir)")
    dirs: dict[str, str] = {}
    for item in wanted:
        if not isinstance(item, list | tuple) or len(item) != 2:
            raise CommandArgumentError(f"setBuilderList: bad entry {item!r}")
        name, builddir = (_text(part) if part is not None else None for part in item)
        if name is None:
            raise CommandArgumentError(f"setBuilderList: bad entry {item!r}")
        builddir = builddir or name
        path = PurePath(builddir)
        if path.is_absolute() or ".." in path.parts or not path.parts:
            raise CommandArgumentError(
                f"setBuilderList: builddir {builddir!r} is not inside the worker"
            )
        dirs[name] = builddir
    return dirs


def _text(value: Any) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else str(value)
