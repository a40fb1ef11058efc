"""``marid-worker start``, ``stop`` and ``restart``.

``start`` without ``--nodaemon`` launches the worker as a detached child (a new
session, stdin/stdout closed) and follows ``marid-worker.log`` until the child
logs that it started its connector (exit 0) or that it could not start, and
why (exit 1). ``stop`` sends SIGTERM and waits for the process to end.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from marid_worker.config import load
from marid_worker.errors import ConfigError
from marid_worker.scripts.errors import UsageError
from marid_worker.scripts.foreground import START_FAILED, STARTED
from marid_worker.scripts.pidfile import (
    LOGFILE,
    LogTail,
    launch_daemon,
    read_pid,
    wait_for_exit,
    watch_startup,
)


def _worker_dir(basedir: str) -> Path:
    path = Path(basedir).absolute()
    try:
        load(path)
    except ConfigError as error:
        raise UsageError(str(error)) from None
    return path


def start(args: argparse.Namespace) -> int:
    basedir = _worker_dir(args.basedir)
    pid = read_pid(basedir)
    if pid is not None:
        raise UsageError(f"a worker is already running in {basedir} (pid {pid})")
    if args.nodaemon:
        from marid_worker.scripts.foreground import run_worker

        return run_worker(basedir, echo=True)
    return _start_daemon(basedir, args.start_timeout)


def _start_daemon(basedir: Path, timeout: float) -> int:
    log_path = basedir / LOGFILE
    tail = LogTail(log_path)
    command = [sys.executable, "-m", "marid_worker.scripts.foreground", str(basedir)]
    child = launch_daemon(command, basedir, log_path)
    state, failure = watch_startup(
        child, tail, started=STARTED, failed=START_FAILED, timeout=timeout
    )
    if state == "started":
        print(f"worker started (pid {child.pid}); log: {log_path}")
        return 0
    if state == "failed":
        reason = (
            failure[0]
            if failure
            else (f"the worker exited with status {child.returncode}; see {log_path}")
        )
        print(f"marid-worker start: {reason}", file=sys.stderr)
        return 1
    print(
        f"marid-worker start: the worker did not report start-up within {timeout:g}s; "
        f"it may still be starting (pid {child.pid}); see {log_path}",
        file=sys.stderr,
    )
    return 1


def stop(args: argparse.Namespace) -> int:
    basedir = _worker_dir(args.basedir)
    pid = read_pid(basedir)
    if pid is None:
        raise UsageError(f"no worker is running in {basedir}")
    os.kill(pid, signal.SIGTERM)
    if not wait_for_exit(pid, args.timeout):
        raise UsageError(f"the worker (pid {pid}) did not stop within {args.timeout:g}s")
    print("worker stopped")
    return 0


def restart(args: argparse.Namespace) -> int:
    basedir = _worker_dir(args.basedir)
    if read_pid(basedir) is not None:
        status = stop(args)
        if status:
            return status
    else:
        print("no worker was running; starting one")
    return start(args)
