"""Build and step results: the ``Results`` enum, how results combine, and their names.

The numbers are Buildbot's and are stored in the database and sent over the
API, so they never change: SUCCESS=0, WARNINGS=1, FAILURE=2, SKIPPED=3,
EXCEPTION=4, RETRY=5, CANCELLED=6.

Configs written for Buildbot use ``util.SUCCESS`` and friends, and index
``util.Results`` with a number to get a name (``Results[2] == "failure"``).
Both work here: the module-level constants are the enum members, and indexing
the enum class with an ``int`` gives the lower-case name while indexing it
with a member name still gives the member (``Results["FAILURE"]``).

Combining results is not numeric order. ``worst_status`` ranks them
SKIPPED < SUCCESS < WARNINGS < FAILURE < EXCEPTION < RETRY < CANCELLED, so a
skipped step never makes a build look better or worse than its other steps.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import EnumType, IntEnum
from typing import Any, Protocol, TypeVar, overload

_E = TypeVar("_E")


class _ResultsType(EnumType):
    """Enum metaclass that also answers ``Results[number]`` with the result's name."""

    @overload
    def __getitem__(cls: type[_E], key: str) -> _E: ...
    @overload
    def __getitem__(cls: type[_E], key: int) -> str: ...
    def __getitem__(cls, key: Any) -> Any:
        if isinstance(key, int):
            return status_text(key)
        return super().__getitem__(key)


class Results(IntEnum, metaclass=_ResultsType):
    """The outcome of a step or a build."""

    SUCCESS = 0
    WARNINGS = 1
    FAILURE = 2
    SKIPPED = 3
    EXCEPTION = 4
    RETRY = 5
    CANCELLED = 6

    @property
    def text(self) -> str:
        """The lower-case name used in status strings and the API: ``"success"``."""
        return self.name.lower()


SUCCESS = Results.SUCCESS
WARNINGS = Results.WARNINGS
FAILURE = Results.FAILURE
SKIPPED = Results.SKIPPED
EXCEPTION = Results.EXCEPTION
RETRY = Results.RETRY
CANCELLED = Results.CANCELLED

RESULT_NAMES: tuple[str, ...] = tuple(result.text for result in Results)
"""The names in number order; ``RESULT_NAMES.index("failure") == 2``."""

# Rank of each result when combining; higher wins. SKIPPED ranks below SUCCESS.
_SEVERITY: dict[Results, int] = {
    SKIPPED: 0,
    SUCCESS: 1,
    WARNINGS: 2,
    FAILURE: 3,
    EXCEPTION: 4,
    RETRY: 5,
    CANCELLED: 6,
}


def as_result(value: int) -> Results:
    """``value`` as a ``Results`` member; ``ValueError`` naming the value if it is not one."""
    try:
        return Results(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a result (expected 0 to 6)") from None


def status_text(result: int | None) -> str:
    """The name of ``result`` (``"success"``, ...); ``"not finished"`` for None."""
    if result is None:
        return "not finished"
    return as_result(result).text


def worst_status(a: int, b: int) -> Results:
    """The more severe of two results, in the order SKIPPED < SUCCESS < ... < CANCELLED."""
    first, second = as_result(a), as_result(b)
    return first if _SEVERITY[first] >= _SEVERITY[second] else second


class OutcomeFlags(Protocol):
    """The step arguments that decide how a step's result counts for its build."""

    @property
    def flunkOnWarnings(self) -> bool: ...
    @property
    def flunkOnFailure(self) -> bool: ...
    @property
    def warnOnWarnings(self) -> bool: ...
    @property
    def warnOnFailure(self) -> bool: ...
    @property
    def haltOnFailure(self) -> bool: ...


@dataclass(frozen=True)
class OutcomePolicy:
    """A ready-made ``OutcomeFlags``; the defaults are those of most steps (flunk on failure)."""

    flunkOnWarnings: bool = False
    flunkOnFailure: bool = True
    warnOnWarnings: bool = False
    warnOnFailure: bool = False
    haltOnFailure: bool = False


def compute_result_and_termination(
    flags: OutcomeFlags, result: int, previous_result: int
) -> tuple[Results, bool]:
    """Fold one step's ``result`` into the build's ``previous_result``.

    Returns the build's new result and whether the build must stop running
    further steps (steps with ``alwaysRun`` still run; that is the caller's
    business). What a step's result contributes to its build:

    - FAILURE counts as FAILURE with ``flunkOnFailure`` or ``flunkOnWarnings``,
      otherwise as WARNINGS with ``warnOnFailure`` or ``warnOnWarnings``,
      otherwise as SUCCESS. With ``haltOnFailure`` the build stops, whether
      or not the failure flunks it.
    - WARNINGS counts as FAILURE with ``flunkOnWarnings``, otherwise as
      WARNINGS with ``warnOnWarnings``, otherwise as SUCCESS.
    - SUCCESS and SKIPPED count as themselves.
    - EXCEPTION, RETRY and CANCELLED count as themselves and always stop the build.

    The contribution is combined with ``previous_result`` by ``worst_status``.
    """
    outcome = as_result(result)
    contribution = outcome
    terminate = False
    if outcome is FAILURE:
        if flags.flunkOnFailure or flags.flunkOnWarnings:
            contribution = FAILURE
        elif flags.warnOnFailure or flags.warnOnWarnings:
            contribution = WARNINGS
        else:
            contribution = SUCCESS
        terminate = flags.haltOnFailure
    elif outcome is WARNINGS:
        if flags.flunkOnWarnings:
            contribution = FAILURE
        elif flags.warnOnWarnings:
            contribution = WARNINGS
        else:
            contribution = SUCCESS
    elif outcome in (EXCEPTION, RETRY, CANCELLED):
        terminate = True
    return worst_status(previous_result, contribution), terminate
