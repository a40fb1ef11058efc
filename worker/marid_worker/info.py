"""What ``getWorkerInfo()`` tells the master about this worker.

- every regular file in ``BASEDIR/info/`` by its name, as text (``admin``,
  ``host``, optional ``access_uri``...); editor backups and dot files are skipped;
- ``os_*``: each ``KEY=value`` of ``/etc/os-release`` (``os_id``,
  ``os_version_id``, ``os_pretty_name``...);
- ``environ``, ``system`` (``os.name``), ``basedir``, ``numcpus``, ``version``;
- ``worker_commands``: every command name with :data:`COMMAND_VERSION`;
- ``delete_leftover_dirs``;
- ``pb_max_references``: how many live PB references this worker's connection
  may hand out (``--max-references``). A master may then hold one
  ``WorkerForBuilder`` per builder up to that number; a worker that does not
  say (``buildbot-worker``) has stock PB's 1,024.
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from marid_worker import __version__
from marid_worker.commands import COMMAND_VERSION, COMMANDS

INFO_DIR = "info"
MAX_REFERENCES_KEY = "pb_max_references"
OS_RELEASE_FILES = ("/etc/os-release", "/usr/lib/os-release")


def read_info_dir(basedir: Path) -> dict[str, str]:
    info_dir = basedir / INFO_DIR
    found: dict[str, str] = {}
    if not info_dir.is_dir():
        return found
    for entry in sorted(info_dir.iterdir()):
        if entry.name.startswith(".") or entry.name.endswith("~") or not entry.is_file():
            continue
        try:
            found[entry.name] = entry.read_text(encoding="utf-8", errors="replace")
        except OSError:
            continue
    return found


def parse_os_release(lines: Iterable[str]) -> dict[str, str]:
    """``os_<key>`` for each ``KEY=value`` line; shell quoting is undone."""
    found: dict[str, str] = {}
    for raw_line in lines:
        line = raw_line.strip()
        if not line or line.startswith("#") or "=" not in line:
            continue
        key, _, raw = line.partition("=")
        try:
            words = shlex.split(raw)
        except ValueError:
            words = [raw]
        found["os_" + key.strip().lower()] = " ".join(words)
    return found


def read_os_release(paths: Iterable[str] = OS_RELEASE_FILES) -> dict[str, str]:
    for path in paths:
        try:
            with open(path, encoding="utf-8", errors="replace") as f:
                return parse_os_release(f)
        except OSError:
            continue
    return {}


def worker_info(
    basedir: Path,
    *,
    numcpus: int | None = None,
    delete_leftover_dirs: bool = False,
    max_references: int | None = None,
) -> dict[str, Any]:
    info: dict[str, Any] = {}
    info.update(read_info_dir(basedir))
    info.update(read_os_release())
    info["environ"] = dict(os.environ)
    info["system"] = os.name
    info["basedir"] = str(basedir)
    info["numcpus"] = numcpus or os.cpu_count() or 1
    info["version"] = __version__
    info["worker_commands"] = worker_commands()
    info["delete_leftover_dirs"] = delete_leftover_dirs
    if max_references is not None:
        info[MAX_REFERENCES_KEY] = max_references
    return info


def worker_commands() -> dict[str, str]:
    return dict.fromkeys(COMMANDS, COMMAND_VERSION)
