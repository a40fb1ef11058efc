"""Evaluate ``master.cfg`` off the reactor thread, within a time limit.

A ``master.cfg`` is ordinary Python: it may be slow (it reads a network share,
asks a forge for its repositories) or never finish (``while True: pass``). On
the reactor thread it would stop the web server, the workers' keepalives and
the builds for as long as it runs. ``ConfigEvaluator`` runs ``load_config`` in
a daemon thread of its own and hands the result back on the reactor thread,
where the master applies it.

Contract of ``ConfigEvaluator``; every method is called on the reactor thread:

- ``evaluate()`` starts one evaluation and returns a Deferred that fires on the
  reactor thread with the ``MasterConfig``, or fails with ``ConfigErrors``
  (errors in the file, or the time limit passed), or with the exception of a
  bug in the checks.
- One evaluation at a time: while one runs, ``evaluate()`` raises
  ``EvaluationBusy`` at once and ``busy_reason()`` says why. That includes an
  evaluation that overran its time limit and has not stopped yet.
- When the time limit passes, the Deferred fails with one ``ConfigError`` that
  points at the line the config was running, and the thread is asked to stop:
  ``EvaluationStopped`` is raised in it at its next Python instruction
  (CPython's ``PyThreadState_SetAsyncExc``). A loop in Python stops at once; a
  blocking call (``time.sleep``, a socket read) stops when it returns. Until
  the thread has stopped the evaluator stays busy; whatever an overrun
  evaluation produces is discarded.
- The thread is a daemon thread of its own, not one of the reactor's pool, so
  a thread that never ends does not hold up the master's exit.
- The loader's isolation is per process: while the file runs, the master
  directory is at the front of ``sys.path`` for every thread.

Why a thread and not a subprocess: the config's objects (steps, locks,
renderables, functions) must be live objects of the master process, so a
subprocess cannot produce the config; see docs/master.md.
"""

from __future__ import annotations

import ctypes
import sys
import threading
from collections.abc import Callable
from typing import Any

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall
from twisted.logger import Logger
from twisted.python.failure import Failure

from marid.config.errors import ConfigError, ConfigErrors
from marid.config.loader import load_config, running_position
from marid.config.master_config import MasterConfig

log = Logger()

DEFAULT_TIME_LIMIT = 30.0
TIME_LIMIT_OPTION = "marid start --config-timeout"

Outcome = MasterConfig | BaseException | Failure


class EvaluationBusy(Exception):
    """An evaluation of the config is still running; the message says which and since when."""


class EvaluationStopped(BaseException):
    """Raised inside an overrun evaluation to end it.

    A ``BaseException``, so that ``except Exception`` in a config does not swallow it.
    """


def _raise_in(thread: threading.Thread, error: type[BaseException]) -> bool:
    """Have CPython raise ``error`` in ``thread`` at its next instruction; False if it cannot."""
    api = getattr(ctypes, "pythonapi", None)
    if api is None or thread.ident is None:
        return False
    ident = ctypes.c_ulong(thread.ident)
    changed = int(api.PyThreadState_SetAsyncExc(ident, ctypes.py_object(error)))
    if changed > 1:  # one id names one thread; the C API asks to undo if it ever did not
        api.PyThreadState_SetAsyncExc(ident, None)
        return False
    return changed == 1


class ConfigEvaluator:
    """Runs ``load(config_path)`` in a thread; ``time_limit`` None or 0 means no limit."""

    def __init__(
        self,
        config_path: str,
        reactor: Any,
        *,
        time_limit: float | None = DEFAULT_TIME_LIMIT,
        load: Callable[[str], MasterConfig] = load_config,
    ) -> None:
        self.config_path = config_path
        self.time_limit = time_limit or None
        self._reactor = reactor
        self._load = load
        self._thread: threading.Thread | None = None
        self._waiting: defer.Deferred[MasterConfig] | None = None
        self._timer: IDelayedCall | None = None
        self._started = 0.0
        self._overrun_at: float | None = None
        self._overrun_place = ""

    def busy_reason(self) -> str | None:
        """Why ``evaluate()`` would refuse now, or None when it would start."""
        if self._thread is None:
            return None
        now = self._reactor.seconds()
        if self._overrun_at is None:
            elapsed = now - self._started
            return f"{self.config_path} is still being evaluated (for {elapsed:.0f}s)"
        return (
            f"the evaluation of {self.config_path} that overran its time limit "
            f"{now - self._overrun_at:.0f}s ago has not stopped yet (it was at "
            f"{self._overrun_place}); try again once marid.log says it has ended, "
            "or restart the master"
        )

    def evaluate(self) -> defer.Deferred[MasterConfig]:
        reason = self.busy_reason()
        if reason is not None:
            raise EvaluationBusy(reason)
        thread = threading.Thread(target=self._run, name="marid master.cfg", daemon=True)
        waiting: defer.Deferred[MasterConfig] = defer.Deferred()
        self._thread, self._waiting = thread, waiting
        self._started = self._reactor.seconds()
        self._overrun_at = None
        if self.time_limit is not None:
            self._timer = self._reactor.callLater(self.time_limit, self._time_out, thread)
        thread.start()
        return waiting

    def _run(self) -> None:
        """The evaluation thread: load, then hand the outcome to the reactor thread."""
        thread = threading.current_thread()
        try:
            outcome: Outcome
            try:
                outcome = self._load(self.config_path)
            except (ConfigErrors, EvaluationStopped) as error:
                outcome = error
            except BaseException:
                outcome = Failure()
            self._reactor.callFromThread(self._finished, thread, outcome)
        except EvaluationStopped:  # arrived after the load itself was over
            self._reactor.callFromThread(self._finished, thread, EvaluationStopped())

    def _finished(self, thread: threading.Thread, outcome: Outcome) -> None:
        if thread is not self._thread:
            return
        self._thread = None
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
        self._timer = None
        waiting, self._waiting = self._waiting, None
        if waiting is None:
            log.info(
                "the evaluation of {file} that overran its time limit has ended after "
                "{seconds:.1f}s; what it produced was discarded",
                file=self.config_path,
                seconds=self._reactor.seconds() - self._started,
            )
        elif isinstance(outcome, MasterConfig):
            waiting.callback(outcome)
        else:
            waiting.errback(outcome)

    def _time_out(self, thread: threading.Thread) -> None:
        self._timer = None
        if thread is not self._thread or self._waiting is None:
            return
        waiting, self._waiting = self._waiting, None
        filename, lineno = self._position(thread)
        self._overrun_at = self._reactor.seconds()
        self._overrun_place = filename if lineno is None else f"{filename}:{lineno}"
        if not _raise_in(thread, EvaluationStopped):
            log.warn("cannot interrupt the evaluation of {file}", file=self.config_path)
        message = (
            f"the config did not finish within {self.time_limit:g}s, the time limit for "
            f"evaluating it ({TIME_LIMIT_OPTION}); it was abandoned while running here"
        )
        waiting.errback(ConfigErrors([ConfigError(message, filename, lineno)]))

    def _position(self, thread: threading.Thread) -> tuple[str, int | None]:
        frame = sys._current_frames().get(thread.ident or -1)
        if frame is None:
            return self.config_path, None
        return running_position(frame, self.config_path)
