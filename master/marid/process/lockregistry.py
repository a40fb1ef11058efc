"""Locks at run time: one ``RealLock`` per config lock (per worker for worker locks).

Runtime side: a ``LockRegistry`` (one per master) maps each config lock to
its ``RealLock``, per worker for worker locks. ``acquire_all`` takes a whole
set of locks at once or waits holding none of them, so two builds that need
the same locks in different orders cannot deadlock. A request that cannot be
granted queues on every lock it needs, all at the same moment, so the queues
agree on who came first; a request is granted only if it also leaves room for
everyone queued ahead of it on each lock. Exclusive waiters therefore are not
starved by a stream of counting ones, and the oldest waiter is blocked only
by holders, which always finish. Cancelling a waiting ``acquire_all`` leaves
the queues as if it had never asked.

Invariants: all decisions happen synchronously inside one call (the reactor
is single-threaded), so no one ever holds part of a request; an owner's
locks are released together by ``release_all``.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Hashable, Iterable

from twisted.internet import defer

from marid.process.locks import (
    BaseLock,
    LockAccess,
    LockError,
    LockMode,
    WorkerLock,
    lock_conflicts,
)


class RealLock:
    """The runtime state of one lock (of one worker, for a ``WorkerLock``).

    ``max_count`` follows the current configuration; a reconfig that lowers
    it leaves current holders alone and makes newcomers wait.
    """

    def __init__(self, description: str, max_count: int) -> None:
        self.description = description
        self.max_count = max_count
        self._holders: list[tuple[Hashable, LockMode, int]] = []
        self._waiters: list[_Waiter] = []

    @property
    def holders(self) -> list[Hashable]:
        return [owner for owner, _, _ in self._holders]

    @property
    def waiting(self) -> int:
        return len(self._waiters)

    @property
    def held_count(self) -> int:
        return sum(count for _, _, count in self._holders)

    def _fits(self, mode: LockMode, count: int, ahead: Iterable[tuple[LockMode, int]]) -> bool:
        """Whether this use can start now without taking what ``ahead`` is waiting for."""
        queued = list(ahead)
        if mode is LockMode.EXCLUSIVE:
            return not self._holders and not queued
        if any(held_mode is LockMode.EXCLUSIVE for _, held_mode, _ in self._holders):
            return False
        if any(queued_mode is LockMode.EXCLUSIVE for queued_mode, _ in queued):
            return False
        return self.held_count + sum(n for _, n in queued) + count <= self.max_count

    def __repr__(self) -> str:
        return f"<RealLock {self.description} {self.held_count}/{self.max_count}>"


_Request = dict[RealLock, tuple[LockMode, int]]


class _Waiter:
    """One ``acquire_all`` call waiting for its locks."""

    def __init__(
        self,
        sequence: int,
        owner: Hashable,
        request: _Request,
        withdraw: Callable[[_Waiter], None],
    ) -> None:
        self.sequence = sequence
        self.owner = owner
        self.request = request
        self.granted = False
        self.deferred: defer.Deferred[None] = defer.Deferred(lambda _: withdraw(self))


class LockRegistry:
    """The master's runtime locks, and who holds and waits for them."""

    def __init__(self) -> None:
        self._locks: dict[tuple[str, str, str | None], RealLock] = {}
        self._configs: dict[tuple[str, str], BaseLock] = {}
        self._configured: set[tuple[str, str]] = set()
        self._held: dict[Hashable, _Request] = {}
        self._sequence = itertools.count()

    def configure(self, locks: Iterable[BaseLock]) -> None:
        """Adopt the locks of a (new) configuration; their limits apply from now on.

        ``LockError`` lists the invalid locks and same-named locks whose limits
        differ, and then nothing changes.
        """
        locks = list(locks)
        problems = [problem for lock in locks for problem in lock.problems()]
        problems += [message for _, message in lock_conflicts(locks)]
        if problems:
            raise LockError("; ".join(problems))
        self._configured = {(lock.kind, lock.name) for lock in locks}
        for lock in locks:
            self._configs[(lock.kind, lock.name)] = lock
        for (kind, name, workername), real in self._locks.items():
            real.max_count = self._configs[(kind, name)].max_count_for(workername)
        for waiter in self._impossible_waiters():
            self._dequeue(waiter)
            waiter.deferred.errback(
                LockError(f"{waiter.owner!r} asked for more than a lock allows since the reconfig")
            )
        self._grant(list(self._locks.values()))

    def _impossible_waiters(self) -> list[_Waiter]:
        """Waiters asking for more slots than a lock now has; they would block their queues."""
        found: dict[int, _Waiter] = {}
        for real in self._locks.values():
            for waiter in real._waiters:
                mode, count = waiter.request[real]
                if mode is LockMode.COUNTING and count > real.max_count:
                    found[waiter.sequence] = waiter
        return [found[sequence] for sequence in sorted(found)]

    def get_lock(self, lock: BaseLock, workername: str | None = None) -> RealLock:
        """The runtime lock for ``lock``; a ``WorkerLock`` needs the worker's name.

        A lock name not given to ``configure`` is adopted on first use, and a
        later lock of that name with other limits is a ``LockError``. For a
        configured name, the configured limits win over older config objects
        still held by running builds.
        """
        problems = lock.problems()
        if problems:
            raise LockError("; ".join(problems))
        base = (lock.kind, lock.name)
        known = self._configs.setdefault(base, lock)
        if known.limits() != lock.limits() and base not in self._configured:
            raise LockError(f"{lock!r} conflicts with {known!r}: one name, one limit")
        if isinstance(lock, WorkerLock):
            if workername is None:
                raise LockError(f"{lock} is per worker: say which worker the build runs on")
        else:
            workername = None
        key = (lock.kind, lock.name, workername)
        if key not in self._locks:
            where = f" on worker {workername!r}" if workername is not None else ""
            self._locks[key] = RealLock(f"{lock}{where}", known.max_count_for(workername))
        return self._locks[key]

    def is_available(
        self, accesses: Iterable[LockAccess | BaseLock], workername: str | None = None
    ) -> bool:
        """Whether ``acquire_all`` would succeed right now without waiting."""
        return self._grantable(self._request(accesses, workername), None)

    async def acquire_all(
        self,
        accesses: Iterable[LockAccess | BaseLock],
        owner: Hashable,
        workername: str | None = None,
    ) -> None:
        """Take every lock in ``accesses`` for ``owner``, waiting (holding none) until all are free.

        A bare lock counts as ``lock.access("counting")``. Cancelling the
        returned coroutine's Deferred while it waits withdraws the request.
        """
        request = self._request(accesses, workername)
        overlap = [lock for lock in request if lock in self._held.get(owner, {})]
        if overlap:
            raise LockError(f"{owner!r} already holds {overlap[0].description}")
        if self._grantable(request, None):
            self._take(owner, request)
            return
        waiter = _Waiter(next(self._sequence), owner, request, self._withdraw)
        for lock in request:
            lock._waiters.append(waiter)
        await waiter.deferred

    def release_all(self, owner: Hashable) -> None:
        """Release every lock ``owner`` took; ``LockError`` if it holds none."""
        if owner not in self._held:
            raise LockError(f"{owner!r} releases locks it does not hold")
        self._release(owner, list(self._held.pop(owner)))

    def _release(self, owner: Hashable, locks: list[RealLock]) -> None:
        for lock in locks:
            lock._holders = [entry for entry in lock._holders if entry[0] != owner]
        self._grant(locks)

    def held_by(self, owner: Hashable) -> list[RealLock]:
        return list(self._held.get(owner, {}))

    def _request(
        self, accesses: Iterable[LockAccess | BaseLock], workername: str | None
    ) -> _Request:
        request: _Request = {}
        for item in accesses:
            access = item.access(LockMode.COUNTING) if isinstance(item, BaseLock) else item
            if not isinstance(access, LockAccess):
                raise LockError(
                    f"{access!r} is not a lock access; use lock.access('counting') "
                    "or lock.access('exclusive')"
                )
            if access.count == 0:
                continue  # takes nothing, so it always succeeds
            real = self.get_lock(access.lock, workername)
            mode, count = access.mode, access.count
            if real in request:  # one lock twice in one request: the combined use
                earlier_mode, earlier_count = request[real]
                if LockMode.EXCLUSIVE in (mode, earlier_mode):
                    mode, count = LockMode.EXCLUSIVE, 1
                else:
                    count += earlier_count
            if mode is LockMode.COUNTING and count > real.max_count:
                raise LockError(
                    f"{real.description}: a counting access of {count} can never be granted "
                    f"(maxCount is {real.max_count})"
                )
            request[real] = (mode, count)
        return request

    def _grantable(self, request: _Request, waiter: _Waiter | None) -> bool:
        for lock, (mode, count) in request.items():
            queue = lock._waiters
            ahead = queue[: queue.index(waiter)] if waiter is not None else queue
            if not lock._fits(mode, count, (w.request[lock] for w in ahead)):
                return False
        return True

    def _take(self, owner: Hashable, request: _Request) -> None:
        held = self._held.setdefault(owner, {})
        for lock, (mode, count) in request.items():
            lock._holders.append((owner, mode, count))
            held[lock] = (mode, count)

    def _grant(self, locks: list[RealLock]) -> None:
        """Grant, oldest first, every waiter on ``locks`` that can now go ahead.

        One pass suffices: a grant never frees anything for an older waiter.
        The Deferreds fire only after the pass, so the callbacks they run see
        consistent queues.
        """
        waiters = sorted({w for lock in locks for w in lock._waiters}, key=lambda w: w.sequence)
        granted: list[_Waiter] = []
        for waiter in waiters:
            if self._grantable(waiter.request, waiter):
                self._dequeue(waiter)
                self._take(waiter.owner, waiter.request)
                waiter.granted = True
                granted.append(waiter)
        for waiter in granted:
            if not waiter.deferred.called:  # an earlier callback may have cancelled it
                waiter.deferred.callback(None)

    def _dequeue(self, waiter: _Waiter) -> None:
        for lock in waiter.request:
            lock._waiters.remove(waiter)

    def _withdraw(self, waiter: _Waiter) -> None:
        """The canceller of a waiting ``acquire_all``: leave as if it never asked."""
        if waiter.granted:  # granted in this very pass, but its owner never learnt it
            held = self._held[waiter.owner]
            for lock in waiter.request:
                del held[lock]
            if not held:
                del self._held[waiter.owner]
            self._release(waiter.owner, list(waiter.request))
            return
        self._dequeue(waiter)
        self._grant(list(waiter.request))
