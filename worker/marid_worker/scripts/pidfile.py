"""The worker's pid file and log file: who is running, and what it has logged since.

``marid-worker.pid`` holds the pid of the running worker; a pid file whose
process is gone (or a zombie) is stale and removed when read.
:class:`LogTail` lets ``start`` follow ``marid-worker.log`` from the moment it
launched the daemon, across a rotation; ``launch_daemon`` and
``watch_startup`` start a daemon and wait for its verdict. The master's
``marid start`` uses them too.
"""

from __future__ import annotations

import os
import subprocess
import time
from pathlib import Path

PIDFILE = "marid-worker.pid"
LOGFILE = "marid-worker.log"


def is_alive(pid: int) -> bool:
    """True if ``pid`` exists and is not a zombie waiting to be reaped."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        stat = Path(f"/proc/{pid}/stat").read_text(encoding="ascii", errors="replace")
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def read_pid(basedir: Path) -> int | None:
    """The pid of the worker running in ``basedir``, or None (a stale pid file is removed)."""
    path = basedir / PIDFILE
    try:
        pid = int(path.read_text(encoding="ascii").strip() or 0)
    except FileNotFoundError:
        return None
    except (ValueError, OSError):
        path.unlink(missing_ok=True)
        return None
    if pid <= 0 or not is_alive(pid):
        path.unlink(missing_ok=True)
        return None
    return pid


def write_pid(basedir: Path) -> None:
    path = basedir / PIDFILE
    tmp = path.with_name(f".{PIDFILE}.{os.getpid()}")
    tmp.write_text(f"{os.getpid()}\n", encoding="ascii")
    os.replace(tmp, path)


def remove_pid(basedir: Path) -> None:
    """Remove the pid file if it is this process's."""
    path = basedir / PIDFILE
    try:
        if int(path.read_text(encoding="ascii").strip() or 0) == os.getpid():
            path.unlink()
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
    """The lines appended to a log file since this object was made."""

    def __init__(self, path: Path):
        self.path = path
        self.offset = path.stat().st_size if path.exists() else 0
        self._partial = ""

    def new_lines(self) -> list[str]:
        try:
            size = self.path.stat().st_size
        except FileNotFoundError:
            return []
        if size < self.offset:  # rotated: the new file starts from zero
            self.offset = 0
        with self.path.open(encoding="utf-8", errors="replace") as f:
            f.seek(self.offset)
            text = f.read()
            self.offset = f.tell()
        lines = (self._partial + text).split("\n")
        self._partial = lines.pop()
        return lines


def launch_daemon(command: list[str], basedir: Path, log_path: Path) -> subprocess.Popen[bytes]:
    """Start ``command`` in its own session in ``basedir``; what it prints outside the
    logging system (a crash before logging starts) is appended to ``log_path``."""
    with log_path.open("ab") as crash_output:
        return subprocess.Popen(
            command,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=crash_output,
            start_new_session=True,
            cwd=basedir,
        )


def log_message(line: str) -> str:
    """A log line without its timestamp and namespace prefix."""
    return line.split("] ", 1)[-1]


def watch_startup(
    child: subprocess.Popen[bytes],
    tail: LogTail,
    *,
    started: str,
    failed: str,
    timeout: float,
) -> tuple[str, list[str]]:
    """Follow a starting daemon's log until it logs ``started`` or exits.

    Returns ``("started", [])``; ``("failed", lines)`` when it logged ``failed``
    (``lines``: that line and the ones after it, without prefixes) or exited; or
    ``("timeout", [])`` when it said neither within ``timeout`` seconds.
    """
    deadline = time.monotonic() + timeout
    failure: list[str] = []
    while time.monotonic() < deadline:
        for line in tail.new_lines():
            if failure or failed in line:
                failure.append(log_message(line))
            elif started in line:
                return "started", []
        if child.poll() is not None:
            rest = tail.new_lines()
            failure += [log_message(line) for line in rest if failure or failed in line]
            return "failed", failure
        time.sleep(0.05)
    return ("failed", failure) if failure else ("timeout", [])
