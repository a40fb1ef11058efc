"""Locks that limit how many builds or steps use a resource at once.

Configuration side: ``MasterLock(name, maxCount)`` is one lock for the whole
master; ``WorkerLock(name, maxCount, maxCountForWorker)`` is one lock per
worker, with per-worker limits. ``lock.access("counting", count)`` takes
``count`` of the lock's ``maxCount`` slots (0 always succeeds);
``lock.access("exclusive")`` takes the lock for itself alone.

The runtime side (``RealLock``, ``LockRegistry``) is in ``lockregistry.py``.

Errors are ``LockError``: an unknown access mode, a bad count, ``maxCount``
below 1, two config locks of one name with different limits, releasing
without holding, or asking again for a lock the owner already holds.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from typing import TYPE_CHECKING, Any, ClassVar

from marid.config.origin import ConfigObject

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector


class LockError(Exception):
    """A lock was configured or used wrongly; the message names the lock."""


class LockMode(StrEnum):
    COUNTING = "counting"
    EXCLUSIVE = "exclusive"


class BaseLock(ConfigObject):
    """What ``MasterLock`` and ``WorkerLock`` share. The constructor only stores its arguments."""

    kind: ClassVar[str] = "lock"

    def __init__(self, name: str, maxCount: int = 1) -> None:
        self.name = name
        self.maxCount = maxCount

    def access(self, mode: str, count: int = 1) -> LockAccess:
        """A use of this lock: ``"counting"`` (taking ``count`` slots) or ``"exclusive"``."""
        return LockAccess(self, mode, count)

    def max_count_for(self, workername: str | None) -> int:
        return self.maxCount

    def limits(self) -> tuple[Any, ...]:
        """What must agree between config locks of the same name."""
        return (self.maxCount,)

    def problems(self) -> list[str]:
        """Each thing wrong with the arguments, as a sentence."""
        found: list[str] = []
        if not isinstance(self.name, str) or not self.name:
            found.append(f"{self.kind} needs a non-empty name, not {self.name!r}")
        if not _is_positive_int(self.maxCount):
            found.append(
                f"{self}: maxCount must be an integer of at least 1, not {self.maxCount!r}"
            )
        return found

    def check_config(self, errors: ErrorCollector) -> None:
        for problem in self.problems():
            errors.add(problem, about=self)

    def __eq__(self, other: object) -> bool:
        # Locks are identified by kind and name; equal limits make them the same lock, so a
        # reconfig that rebuilds an unchanged lock does not count as a change.
        if not isinstance(other, BaseLock):
            return NotImplemented
        return (self.kind, self.name, self.limits()) == (other.kind, other.name, other.limits())

    def __hash__(self) -> int:
        return hash((self.kind, self.name))

    def __str__(self) -> str:
        return f"{self.kind} {self.name!r}"

    def __repr__(self) -> str:
        return f"{self.kind}({self.name!r}, maxCount={self.maxCount!r})"


class MasterLock(BaseLock):
    """One lock for the whole master."""

    kind = "MasterLock"


class WorkerLock(BaseLock):
    """One lock per worker; ``maxCountForWorker`` maps worker names to their own limits."""

    kind = "WorkerLock"

    def __init__(
        self, name: str, maxCount: int = 1, maxCountForWorker: dict[str, int] | None = None
    ) -> None:
        super().__init__(name, maxCount)
        self.maxCountForWorker = maxCountForWorker

    def max_count_for(self, workername: str | None) -> int:
        if self.maxCountForWorker and workername in self.maxCountForWorker:
            return self.maxCountForWorker[workername]
        return self.maxCount

    def limits(self) -> tuple[Any, ...]:
        return (self.maxCount, sorted((self.maxCountForWorker or {}).items()))

    def problems(self) -> list[str]:
        found = super().problems()
        per_worker = self.maxCountForWorker
        if per_worker is not None and not isinstance(per_worker, dict):
            found.append(f"{self}: maxCountForWorker must be a dict of worker name to count")
        elif per_worker:
            found.extend(
                f"{self}: maxCountForWorker[{worker!r}] must be an integer of at least 1, "
                f"not {count!r}"
                for worker, count in per_worker.items()
                if not _is_positive_int(count)
            )
        return found


def _is_positive_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 1


class LockAccess:
    """One use of a lock: its mode and how many slots it takes. Immutable."""

    __slots__ = ("count", "lock", "mode")

    lock: BaseLock
    mode: LockMode
    count: int

    def __init__(self, lock: BaseLock, mode: str, count: int = 1) -> None:
        if mode not in tuple(LockMode):
            raise LockError(f"{lock}: unknown access mode {mode!r}; use 'counting' or 'exclusive'")
        if not isinstance(count, int) or isinstance(count, bool) or count < 0:
            raise LockError(f"{lock}: the access count must be an integer >= 0, not {count!r}")
        if mode == LockMode.EXCLUSIVE and count != 1:
            raise LockError(f"{lock}: an exclusive access always counts 1, not {count!r}")
        object.__setattr__(self, "lock", lock)
        object.__setattr__(self, "mode", LockMode(mode))
        object.__setattr__(self, "count", count)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"LockAccess is immutable; cannot set {name!r}")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, LockAccess):
            return NotImplemented
        return (self.lock, self.mode, self.count) == (other.lock, other.mode, other.count)

    def __hash__(self) -> int:
        return hash((self.lock, self.mode, self.count))

    def __repr__(self) -> str:
        return f"{self.lock!r}.access({self.mode.value!r}, {self.count})"


def lock_conflicts(locks: Iterable[BaseLock]) -> list[tuple[BaseLock, str]]:
    """Each config lock whose limits differ from an earlier lock of the same kind and name."""
    first: dict[tuple[str, str], BaseLock] = {}
    found: list[tuple[BaseLock, str]] = []
    for lock in locks:
        earlier = first.setdefault((lock.kind, lock.name), lock)
        if earlier is not lock and earlier.limits() != lock.limits():
            where = f" (first defined at {earlier.config_origin})" if earlier.config_origin else ""
            found.append((lock, f"{lock!r} conflicts with {earlier!r}{where}: one name, one limit"))
    return found


def check_locks(locks: Iterable[BaseLock], errors: ErrorCollector) -> None:
    """Report config locks sharing a name with different limits, at the later one's line."""
    for lock, message in lock_conflicts(locks):
        errors.add(message, about=lock)
