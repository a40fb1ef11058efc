"""``marid start``, ``stop`` and ``restart``.

``start`` without ``--nodaemon`` launches the master as a detached child
process and watches ``marid.log`` until the master logs that it started (exit
0) or that it failed, and why (exit 1). ``stop`` sends SIGTERM (SIGUSR1 with
``--clean``, which lets running builds finish) and waits for the process.
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
from pathlib import Path

from marid.master import START_FAILED, STARTED
from marid.scripts.errors import UsageError
from marid.scripts.process import (
    LOGFILE,
    LogTail,
    launch_daemon,
    read_pid,
    wait_for_exit,
    watch_startup,
)


def _check_basedir(basedir: str) -> str:
    basedir = os.path.abspath(basedir)
    if not os.path.isfile(os.path.join(basedir, "master.cfg")):
        raise UsageError(
            f"{basedir} is not a master directory (no master.cfg); see marid create-master"
        )
    return basedir


def start(args: argparse.Namespace) -> int:
    basedir = _check_basedir(args.basedir)
    pid = read_pid(basedir)
    if pid is not None:
        raise UsageError(f"a master is already running in {basedir} (pid {pid})")
    if args.nodaemon:
        from marid.scripts.foreground import run_master

        return run_master(
            basedir,
            echo=True,
            log_size=args.log_size,
            log_count=args.log_count,
            config_timeout=args.config_timeout,
        )
    return _start_daemon(basedir, args)


def _start_daemon(basedir: str, args: argparse.Namespace) -> int:
    log_path = os.path.join(basedir, LOGFILE)
    tail = LogTail(Path(log_path))
    command = [
        sys.executable,
        "-m",
        "marid.scripts.foreground",
        basedir,
        str(args.log_size),
        str(args.log_count),
        str(args.config_timeout),
    ]
    child = launch_daemon(command, Path(basedir), Path(log_path))
    state, failure = watch_startup(
        child, tail, started=STARTED, failed=START_FAILED, timeout=args.start_timeout
    )
    if state == "started":
        print(f"master started (pid {child.pid}); log: {log_path}")
        return 0
    if state == "failed":
        # A refused configuration logs each of its errors on a line of its own.
        reason = "\n".join(failure) or (
            f"the master exited with status {child.returncode}; see {log_path}"
        )
        print(f"marid start: {reason}", file=sys.stderr)
        return 1
    print(
        f"marid start: the master did not report start-up within {args.start_timeout:g}s; "
        f"it may still be starting (pid {child.pid}); see {log_path}",
        file=sys.stderr,
    )
    return 1


def stop(args: argparse.Namespace) -> int:
    basedir = _check_basedir(args.basedir)
    pid = read_pid(basedir)
    if pid is None:
        raise UsageError(f"no master is running in {basedir}")
    os.kill(pid, signal.SIGUSR1 if args.clean else signal.SIGTERM)
    timeout = args.timeout if args.timeout is not None else (None if args.clean else 60.0)
    if args.clean:
        print("waiting for running builds to finish before stopping...")
    if not wait_for_exit(pid, timeout):
        raise UsageError(f"the master (pid {pid}) did not stop within {timeout:g}s")
    print("master stopped")
    return 0


def restart(args: argparse.Namespace) -> int:
    basedir = _check_basedir(args.basedir)
    if read_pid(basedir) is not None:
        status = stop(args)
        if status:
            return status
    else:
        print("no master was running; starting one")
    return start(args)
