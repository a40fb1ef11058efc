"""``marid reconfig``: send SIGHUP and report, from the log, whether the new config was applied.

Only lines after this command's signal count. The outcome is the first
``RECONFIG_APPLIED`` or ``RECONFIG_FAILED`` after a ``RECONFIG_BEGIN``; a
``RECONFIG_REFUSED`` seen before any begin is the master turning this signal
down because another reconfig is still running (one seen later belongs to
someone else's signal).
"""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from marid.master import RECONFIG_APPLIED, RECONFIG_BEGIN, RECONFIG_FAILED, RECONFIG_REFUSED
from marid.scripts.errors import UsageError
from marid.scripts.process import LOGFILE, LogTail, read_pid


def _message(line: str) -> str:
    return line.split("] ", 1)[-1]


def run(args: argparse.Namespace) -> int:
    basedir = os.path.abspath(args.basedir)
    pid = read_pid(basedir)
    if pid is None:
        raise UsageError(f"no master is running in {basedir}")
    tail = LogTail(Path(basedir) / LOGFILE)
    os.kill(pid, signal.SIGHUP)
    deadline = time.monotonic() + args.timeout
    begun = False
    errors: list[str] = []
    while time.monotonic() < deadline:
        for line in tail.new_lines():
            if RECONFIG_BEGIN in line:
                begun = True
                errors.clear()
            elif not begun:
                if RECONFIG_REFUSED in line:
                    print(_message(line), file=sys.stderr)
                    return 1
                continue
            elif RECONFIG_APPLIED in line:
                for warning in errors:
                    print(warning)
                print(_message(line))
                return 0
            elif RECONFIG_FAILED in line:
                for error in errors:
                    print(error, file=sys.stderr)
                print(_message(line), file=sys.stderr)
                return 1
            elif "config error:" in line or "needs a restart" in line:
                errors.append(_message(line))
        time.sleep(0.05)
    raise UsageError(f"no reconfig outcome in the log after {args.timeout:g}s; see {tail.path}")
