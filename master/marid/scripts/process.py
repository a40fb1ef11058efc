"""Pid files and process checks for the master's daemon commands."""

from __future__ import annotations

import os
import time

PIDFILE = "marid.pid"
LOGFILE = "marid.log"


def pid_path(basedir: str) -> str:
    return os.path.join(basedir, PIDFILE)


def is_alive(pid: int) -> bool:
    """True if ``pid`` runs and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        with open(f"/proc/{pid}/stat", encoding="ascii", errors="replace") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state != "Z"
    except (OSError, IndexError):
        return True


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


def wait_for_exit(pid: int, timeout: float | None) -> bool:
    """Wait until ``pid`` is gone; False if ``timeout`` seconds passed first."""
    deadline = None if timeout is None else time.monotonic() + timeout
    while is_alive(pid):
        if deadline is not None and time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


class LogTail:
    """Reads lines appended to a log file since it was created, across a rotation."""

    def __init__(self, path: str):
        self.path = path
        self.offset = os.path.getsize(path) if os.path.exists(path) else 0
        self._partial = ""

    def new_lines(self) -> list[str]:
        try:
            size = os.path.getsize(self.path)
        except FileNotFoundError:
            return []
        if size < self.offset:  # rotated: the new file starts from zero
            self.offset = 0
        with open(self.path, encoding="utf-8", errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        text = self._partial + text
        lines = text.split("\n")
        self._partial = lines.pop()
        return lines
