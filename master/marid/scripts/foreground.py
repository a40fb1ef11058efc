"""Run a master in this process until it stops: logging, pid file, signals, exit status.

Also the entry point of the detached child that ``marid start`` launches:
``python -m marid.scripts.foreground BASEDIR LOG_SIZE LOG_COUNT CONFIG_TIMEOUT``.

Signals: SIGTERM and SIGINT stop the master, SIGHUP reloads ``master.cfg``,
SIGUSR1 stops it once the running builds have finished.
"""

from __future__ import annotations

import os
import signal
import sys
from typing import Any

from twisted.logger import (
    FilteringLogObserver,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.python.logfile import LogFile

from marid.config.evaluator import DEFAULT_TIME_LIMIT
from marid.scripts.process import LOGFILE, remove_pid, write_pid


def _as_any(value: object) -> Any:
    """Observers provide ILogObserver through zope, which mypy cannot see."""
    return value


def _observers(basedir: str, echo: bool, log_size: int, log_count: int) -> list[Any]:
    logfile = LogFile(LOGFILE, basedir, rotateLength=log_size, maxRotatedFiles=log_count or None)
    predicate = LogLevelFilterPredicate(defaultLogLevel=LogLevel.info)
    predicates: list[Any] = [predicate]
    logfile_io: Any = logfile  # LogFile is file-like; the stubs want IO
    observers: list[Any] = [
        FilteringLogObserver(_as_any(textFileLogObserver(logfile_io)), predicates)
    ]
    if echo:
        observers.append(FilteringLogObserver(_as_any(textFileLogObserver(sys.stdout)), predicates))
    return observers


def run_master(
    basedir: str,
    *,
    echo: bool,
    log_size: int = 10_000_000,
    log_count: int = 10,
    config_timeout: float = DEFAULT_TIME_LIMIT,
) -> int:
    """Run until stopped; master.cfg may take ``config_timeout`` seconds to evaluate (0: any)."""
    from twisted.internet import defer
    from twisted.internet import reactor as global_reactor

    # The global reactor provides many interfaces that mypy cannot see through zope.
    reactor: Any = global_reactor

    from marid.master import START_FAILED, BuildMaster, StartError

    globalLogBeginner.beginLoggingTo(
        _observers(basedir, echo, log_size, log_count), redirectStandardIO=False
    )
    from twisted.logger import Logger

    log = Logger(namespace="marid")
    write_pid(basedir)
    master = BuildMaster(basedir, reactor, config_timeout=config_timeout)
    status = {"code": 0, "started": False}

    async def starting() -> None:
        try:
            await master.start_master()
            master.startService()
            status["started"] = True
        except StartError as error:
            for line in str(error).splitlines():
                log.error(START_FAILED + ": {reason}", reason=line)
            status["code"] = 1
            reactor.stop()
        except Exception:
            log.failure(START_FAILED + ": unexpected error")
            status["code"] = 1
            reactor.stop()

    async def stopping() -> None:
        if status["started"]:
            await master.stop_master()

    async def clean_stop() -> None:
        log.info("clean shutdown requested")
        await master.clean_shutdown()
        reactor.stop()

    def on_signal(signum: int, _frame: object) -> None:
        if signum == signal.SIGHUP:
            reactor.callFromThread(master.reconfig_from_signal)
        elif signum == signal.SIGUSR1:
            reactor.callFromThread(lambda: defer.Deferred.fromCoroutine(clean_stop()))

    signal.signal(signal.SIGHUP, on_signal)
    signal.signal(signal.SIGUSR1, on_signal)
    reactor.callWhenRunning(lambda: defer.Deferred.fromCoroutine(starting()))
    reactor.addSystemEventTrigger(
        "before", "shutdown", lambda: defer.Deferred.fromCoroutine(stopping())
    )
    try:
        reactor.run()
    finally:
        remove_pid(basedir)
    return status["code"]


if __name__ == "__main__":
    _basedir, _size, _count = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
    _timeout = float(sys.argv[4]) if len(sys.argv) > 4 else DEFAULT_TIME_LIMIT
    os.chdir(_basedir)
    sys.exit(
        run_master(_basedir, echo=False, log_size=_size, log_count=_count, config_timeout=_timeout)
    )
