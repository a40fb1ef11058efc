"""The constructor keywords every step accepts, and their checks.

``StepArguments.__init__`` stores the common keywords of Buildbot's steps;
keywords it does not know are kept aside and reported by ``check_config`` as
a config error with the line of ``master.cfg`` that built the step (the
constructor never raises, so one load reports every mistake). Result flags
given as None keep the class's default, so ``Compile`` can halt on failure by
default while ``Compile(haltOnFailure=False)`` does not.

Common keywords (Buildbot's names and meanings): ``name``, ``description``,
``descriptionDone``, ``descriptionSuffix``, the result flags
``haltOnFailure``, ``flunkOnFailure``, ``warnOnFailure``, ``warnOnWarnings``,
``flunkOnWarnings``, ``alwaysRun``, ``doStepIf`` (bool, ``fn(step)`` or a
renderable), ``hideStepIf`` (bool or ``fn(results, step)``), ``locks``
(``lock.access(...)`` or bare locks, taken counting), ``workdir``,
``logEncoding``, ``timeout`` (seconds without output, default 1200),
``maxTime``, ``max_lines``, ``decodeRC`` (exit code -> result),
``logfiles``, ``lazylogfiles``, ``interruptSignal``, ``env``.
Accepted and ignored for compatibility: ``progressMetrics``, ``useProgress``,
``updateBuildSummaryPolicy``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from marid.process.locks import BaseLock, LockAccess
from marid.process.renderables import check_renderables, is_renderable
from marid.process.results import SUCCESS, Results

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector

_FLAGS = ("haltOnFailure", "flunkOnFailure", "warnOnFailure", "warnOnWarnings", "flunkOnWarnings")
_IGNORED = ("progressMetrics", "useProgress", "updateBuildSummaryPolicy")


class StepArguments:
    """The common step keywords; see the module docstring."""

    name: Any = "generic"
    description: Any = None
    descriptionDone: Any = None
    descriptionSuffix: Any = None

    haltOnFailure: bool = False
    flunkOnFailure: bool = True
    warnOnFailure: bool = False
    warnOnWarnings: bool = False
    flunkOnWarnings: bool = False
    alwaysRun: bool = False

    def __init__(
        self,
        *,
        name: Any = None,
        description: Any = None,
        descriptionDone: Any = None,
        descriptionSuffix: Any = None,
        haltOnFailure: bool | None = None,
        flunkOnFailure: bool | None = None,
        warnOnFailure: bool | None = None,
        warnOnWarnings: bool | None = None,
        flunkOnWarnings: bool | None = None,
        alwaysRun: bool | None = None,
        doStepIf: Any = True,
        hideStepIf: bool | Callable[..., Any] = False,
        locks: list[Any] | None = None,
        workdir: Any = None,
        logEncoding: str | None = None,
        timeout: Any = 1200,
        maxTime: Any = None,
        max_lines: Any = None,
        decodeRC: dict[int, int] | None = None,
        logfiles: Any = None,
        lazylogfiles: bool = False,
        interruptSignal: Any = "KILL",
        env: Any = None,
        **unknown: Any,
    ) -> None:
        if name is not None:
            self.name = name
        for attribute, value in (
            ("description", description),
            ("descriptionDone", descriptionDone),
            ("descriptionSuffix", descriptionSuffix),
        ):
            if value is not None:
                setattr(self, attribute, value)
        for flag, value in zip(
            (*_FLAGS, "alwaysRun"),
            (
                haltOnFailure,
                flunkOnFailure,
                warnOnFailure,
                warnOnWarnings,
                flunkOnWarnings,
                alwaysRun,
            ),
            strict=True,
        ):
            if value is not None:
                setattr(self, flag, value)
        self.doStepIf = doStepIf
        self.hideStepIf = hideStepIf
        self.locks = list(locks or [])
        self.workdir = workdir
        self.logEncoding = logEncoding
        self.timeout = timeout
        self.maxTime = maxTime
        self.max_lines = max_lines
        self.decodeRC = dict(decodeRC) if decodeRC is not None else {0: SUCCESS}
        self.logfiles = logfiles if logfiles is not None else {}
        self.lazylogfiles = lazylogfiles
        self.interruptSignal = interruptSignal
        self.env = env if env is not None else {}
        self._unknown_arguments = {k: v for k, v in unknown.items() if k not in _IGNORED}

    def check_config(self, errors: ErrorCollector) -> None:
        kind = type(self).__name__

        def bad(message: str) -> None:
            errors.add(f"{kind} {self.name!r}: {message}", key="builders", about=self)

        for keyword in sorted(self._unknown_arguments):
            bad(f"unknown argument {keyword!r}")
        if not isinstance(self.name, str) and not is_renderable(self.name):
            bad(f"name must be a string, not {type(self.name).__name__}")
        for flag in (*_FLAGS, "alwaysRun", "lazylogfiles"):
            if not isinstance(getattr(self, flag), bool):
                bad(f"{flag} must be True or False")
        condition = self.doStepIf
        if not (isinstance(condition, bool) or callable(condition) or is_renderable(condition)):
            bad("doStepIf must be a bool, a function of the step or a renderable")
        if not isinstance(self.hideStepIf, bool) and not callable(self.hideStepIf):
            bad("hideStepIf must be a bool or a function of (results, step)")
        for lock in self.locks:
            if not isinstance(lock, LockAccess | BaseLock):
                bad(f"locks must be lock.access(...) or locks, not {lock!r}")
        for code, result in self.decodeRC.items():
            if not isinstance(code, int) or result not in tuple(Results):
                bad(f"decodeRC must map exit codes to results, not {code!r}: {result!r}")
        for label in ("timeout", "maxTime", "max_lines"):
            value = getattr(self, label)
            if value is None or is_renderable(value):
                continue
            if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
                bad(f"{label} must be a number of seconds (or lines) or None, not {value!r}")
        if not isinstance(self.logfiles, dict) and not is_renderable(self.logfiles):
            bad("logfiles must be a dict of log name -> file name")
        if not isinstance(self.env, dict) and not is_renderable(self.env):
            bad("env must be a dict")
        check_renderables(
            [
                self.name,
                self.description,
                self.descriptionDone,
                self.descriptionSuffix,
                self.doStepIf,
                self.workdir,
                self.env,
                self.logfiles,
                self.timeout,
                self.maxTime,
            ],
            errors,
        )

    def outcome_of_rc(self, rc: int | None) -> Results:
        """The result ``decodeRC`` gives for exit code ``rc`` (FAILURE when not listed)."""
        if rc is None:
            return Results.EXCEPTION
        return Results(self.decodeRC.get(rc, Results.FAILURE))
