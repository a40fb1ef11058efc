"""Run a worker in this process until it stops: logging, pid file, signals, exit status.

Also the entry point of the detached child that ``marid-worker start`` launches:
``python -m marid_worker.scripts.foreground BASEDIR``. Once the connector is
started, the log gets a line with :data:`STARTED`; a start that fails logs
:data:`START_FAILED` and the reason. ``start`` watches the log for either.

Signals: SIGTERM and SIGINT stop the worker (killing a running command);
SIGHUP asks the master for a graceful shutdown when the worker was created
with ``--allow-shutdown=signal`` and is ignored otherwise.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path
from typing import Any

from twisted.logger import (
    FilteringLogObserver,
    Logger,
    LogLevel,
    LogLevelFilterPredicate,
    globalLogBeginner,
    textFileLogObserver,
)
from twisted.python.logfile import LogFile

from marid_worker import __version__
from marid_worker.config import WorkerConfig, load
from marid_worker.errors import ConfigError
from marid_worker.scripts.pidfile import LOGFILE, remove_pid, write_pid

STARTED = "marid-worker started"
START_FAILED = "marid-worker failed to start"

log = Logger(namespace="marid_worker")


def _observers(basedir: Path, config: WorkerConfig | None, echo: bool) -> list[Any]:
    size = config.log_size if config else 10_000_000
    count = config.log_count if config else 10
    logfile: Any = LogFile(LOGFILE, str(basedir), rotateLength=size, maxRotatedFiles=count or None)
    predicates: list[Any] = [LogLevelFilterPredicate(defaultLogLevel=LogLevel.info)]
    observers: list[Any] = [FilteringLogObserver(textFileLogObserver(logfile), predicates)]
    if echo:
        observers.append(FilteringLogObserver(textFileLogObserver(sys.stdout), predicates))
    return observers


def run_worker(basedir: Path, *, echo: bool) -> int:
    """Run the worker in ``basedir`` until it stops; the process exit status."""
    from twisted.internet import reactor as global_reactor

    from marid_worker.service import Worker, make_endpoint

    # The global reactor provides many interfaces that mypy cannot see through zope.
    reactor: Any = global_reactor
    os.chdir(basedir)
    try:
        config: WorkerConfig | None = load(basedir)
    except ConfigError as error:
        config, failure = None, str(error)
    else:
        failure = ""
    globalLogBeginner.beginLoggingTo(_observers(basedir, config, echo), redirectStandardIO=False)
    if config is None:
        log.error(START_FAILED + ": {reason}", reason=failure)
        return 1
    if config.umask is not None:
        os.umask(config.umask)
    try:
        endpoint = make_endpoint(reactor, config)
    except ConfigError as error:
        log.error(START_FAILED + ": {reason}", reason=str(error))
        return 1
    status = {"code": 0}

    def exit_with(code: int) -> None:
        status["code"] = code
        if reactor.running:
            reactor.stop()

    worker = Worker(basedir, config, reactor, endpoint, on_exit=exit_with)

    def started() -> None:
        worker.start()
        log.info(
            STARTED + ": marid-worker {version}, worker {name}, master {master}, pid {pid}",
            version=__version__,
            name=config.name,
            master=config.master_address,
            pid=os.getpid(),
        )

    def on_hangup(_signum: int, _frame: object) -> None:
        if config.allow_shutdown == "signal":
            reactor.callFromThread(worker.request_shutdown)
        else:
            reactor.callFromThread(
                log.info, "SIGHUP ignored: the worker was not created with --allow-shutdown=signal"
            )

    from twisted.internet.defer import Deferred

    signal.signal(signal.SIGHUP, on_hangup)
    write_pid(basedir)
    reactor.callWhenRunning(started)
    reactor.addSystemEventTrigger(
        "before", "shutdown", lambda: Deferred.fromCoroutine(worker.stop())
    )
    try:
        reactor.run()
    finally:
        remove_pid(basedir)
    log.info("marid-worker stopped")
    return status["code"]


if __name__ == "__main__":
    sys.exit(run_worker(Path(sys.argv[1]).absolute(), echo=False))
