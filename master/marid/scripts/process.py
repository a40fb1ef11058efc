"""The master's pid file; process checks and log following are shared with the worker."""

from __future__ import annotations

import os

from marid_worker.scripts.pidfile import (
    LogTail,
    is_alive,
    launch_daemon,
    wait_for_exit,
    watch_startup,
)

__all__ = [
    "LOGFILE",
    "PIDFILE",
    "LogTail",
    "is_alive",
    "launch_daemon",
    "read_pid",
    "remove_pid",
    "wait_for_exit",
    "watch_startup",
    "write_pid",
]

PIDFILE = "marid.pid"
LOGFILE = "marid.log"


def pid_path(basedir: str) -> str:
    return os.path.join(basedir, PIDFILE)


def read_pid(basedir: str) -> int | None:
    """The pid of the running master, or None; a stale pid file is removed."""
    path = pid_path(basedir)
    try:
        with open(path, encoding="ascii") as f:
            pid = int(f.read().strip() or 0)
    except FileNotFoundError:
        return None
    except ValueError:
        os.unlink(path)
        return None
    if pid <= 0 or not is_alive(pid):
        os.unlink(path)
        return None
    return pid


def write_pid(basedir: str) -> None:
    path = pid_path(basedir)
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="ascii") as f:
        f.write(f"{os.getpid()}\n")
    os.replace(tmp, path)


def remove_pid(basedir: str) -> None:
    path = pid_path(basedir)
    try:
        with open(path, encoding="ascii") as f:
            if int(f.read().strip() or 0) != os.getpid():
                return
        os.unlink(path)
    except (OSError, ValueError):
        pass
