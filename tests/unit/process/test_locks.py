"""Locks: config objects, counting and exclusive access, all-or-none acquisition, fairness."""

from __future__ import annotations

from collections.abc import Hashable, Iterable
from typing import Any

import pytest
from twisted.internet import defer, task
from twisted.python.failure import Failure

from marid.config.errors import ErrorCollector
from marid.process.lockregistry import LockRegistry
from marid.process.locks import (
    LockAccess,
    LockError,
    LockMode,
    MasterLock,
    WorkerLock,
    check_locks,
)


def acquire(
    registry: LockRegistry,
    accesses: Iterable[Any],
    owner: Hashable,
    workername: str | None = None,
) -> defer.Deferred[None]:
    return defer.Deferred.fromCoroutine(registry.acquire_all(accesses, owner, workername))


def has(d: defer.Deferred[None]) -> bool:
    """True once the acquisition finished successfully."""
    done: list[None] = []
    d.addCallback(done.append)
    return bool(done)


def failure_of(d: defer.Deferred[None]) -> BaseException:
    """The exception a finished acquisition failed with (consumed, so it is not logged)."""
    failures: list[Failure] = []
    d.addErrback(failures.append)
    assert failures, "the acquisition did not fail"
    error = failures[0].value
    assert error is not None
    return error


def config_errors(*locks: Any) -> list[str]:
    errors = ErrorCollector("master.cfg")
    for lock in locks:
        lock.check_config(errors)
    check_locks(locks, errors)
    return [error.message for error in errors.errors]


# config objects


def test_access_describes_mode_and_count() -> None:
    lock = MasterLock("db")

    access = lock.access("counting", 2)

    assert (access.lock, access.mode, access.count) == (lock, LockMode.COUNTING, 2)
    assert lock.access("exclusive") == LockAccess(lock, "exclusive")


def test_an_unknown_access_mode_is_a_lock_error() -> None:
    with pytest.raises(LockError, match="MasterLock 'db': unknown access mode 'shared'"):
        MasterLock("db").access("shared")


@pytest.mark.parametrize("count", [-1, 1.5, True])
def test_a_bad_access_count_is_a_lock_error(count: Any) -> None:
    with pytest.raises(LockError, match="count must be an integer >= 0"):
        MasterLock("db").access("counting", count)


def test_an_exclusive_access_counts_one() -> None:
    with pytest.raises(LockError, match="exclusive access always counts 1"):
        MasterLock("db").access("exclusive", 2)


def test_lock_access_is_immutable() -> None:
    access = MasterLock("db").access("counting")

    with pytest.raises(AttributeError, match="immutable"):
        access.count = 5


def test_max_count_below_one_is_a_config_error_at_the_line_that_made_it() -> None:
    lock = MasterLock("db", maxCount=0)
    errors = ErrorCollector("master.cfg")
    lock.check_config(errors)

    (error,) = errors.errors
    assert error.message == "MasterLock 'db': maxCount must be an integer of at least 1, not 0"
    assert error.filename == __file__


def test_worker_lock_checks_its_per_worker_counts() -> None:
    assert config_errors(WorkerLock("w", maxCountForWorker={"fast": 0})) == [
        "WorkerLock 'w': maxCountForWorker['fast'] must be an integer of at least 1, not 0"
    ]
    assert config_errors(WorkerLock("", maxCountForWorker=[1])) == [  # type: ignore[arg-type]
        "WorkerLock needs a non-empty name, not ''",
        "WorkerLock '': maxCountForWorker must be a dict of worker name to count",
    ]


def test_same_name_with_different_limits_is_a_config_error() -> None:
    first = MasterLock("db", maxCount=1)
    second = MasterLock("db", maxCount=2)

    (message,) = config_errors(first, second, MasterLock("db", maxCount=1))
    assert message.startswith(
        "MasterLock('db', maxCount=2) conflicts with MasterLock('db', maxCount=1)"
    )
    assert "one name, one limit" in message


def test_a_master_lock_and_a_worker_lock_may_share_a_name() -> None:
    assert config_errors(MasterLock("x", maxCount=1), WorkerLock("x", maxCount=3)) == []


# counting and exclusive


def test_counting_access_admits_up_to_max_count() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=2)
    first = acquire(registry, [lock.access("counting")], "a")
    second = acquire(registry, [lock.access("counting")], "b")
    third = acquire(registry, [lock.access("counting")], "c")

    assert has(first) and has(second) and not has(third)
    registry.release_all("a")
    assert has(third)
    assert registry.get_lock(lock).holders == ["b", "c"]


def test_counting_access_with_a_count_takes_that_many_slots() -> None:
    registry = LockRegistry()
    lock = MasterLock("cpu", maxCount=4)
    big = acquire(registry, [lock.access("counting", 3)], "big")
    small = acquire(registry, [lock.access("counting", 2)], "small")

    assert has(big) and not has(small)
    registry.release_all("big")
    assert has(small)


def test_a_zero_count_access_always_succeeds() -> None:
    registry = LockRegistry()
    lock = MasterLock("db")
    acquire(registry, [lock.access("exclusive")], "writer")

    assert has(acquire(registry, [lock.access("counting", 0)], "free-rider"))
    registry.release_all("free-rider")


def test_exclusive_access_waits_for_counting_holders_and_blocks_them() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=3)
    reader = acquire(registry, [lock.access("counting")], "reader")
    writer = acquire(registry, [lock.access("exclusive")], "writer")

    assert has(reader) and not has(writer)
    registry.release_all("reader")
    assert has(writer)
    later = acquire(registry, [lock.access("counting")], "later")
    assert not has(later)
    registry.release_all("writer")
    assert has(later)


def test_a_bare_lock_counts_as_a_counting_access() -> None:
    registry = LockRegistry()
    lock = MasterLock("db")
    acquire(registry, [lock], "a")

    assert not has(acquire(registry, [lock], "b"))


def test_one_lock_twice_in_a_request_adds_up() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=2)
    acquire(registry, [lock.access("counting"), lock.access("counting")], "a")

    assert registry.get_lock(lock).held_count == 2
    failed = acquire(registry, [lock.access("counting", 2), lock.access("counting")], "b")

    assert "counting access of 3 can never be granted (maxCount is 2)" in str(failure_of(failed))


def test_master_locks_are_shared_by_name_across_config_objects() -> None:
    registry = LockRegistry()
    acquire(registry, [MasterLock("db").access("exclusive")], "a")

    assert not has(acquire(registry, [MasterLock("db").access("exclusive")], "b"))


# worker locks


def test_worker_locks_are_separate_per_worker() -> None:
    registry = LockRegistry()
    lock = WorkerLock("builds")
    on_one = acquire(registry, [lock.access("counting")], "a", workername="one")
    on_two = acquire(registry, [lock.access("counting")], "b", workername="two")
    again_on_one = acquire(registry, [lock.access("counting")], "c", workername="one")

    assert has(on_one) and has(on_two) and not has(again_on_one)


def test_max_count_for_worker_sets_a_limit_per_worker() -> None:
    registry = LockRegistry()
    lock = WorkerLock("builds", maxCount=1, maxCountForWorker={"fast": 3, "new": 2})

    assert [registry.get_lock(lock, name).max_count for name in ("fast", "new", "old")] == [3, 2, 1]
    fast = [acquire(registry, [lock.access("counting")], f"b{i}", "fast") for i in range(4)]
    assert [has(d) for d in fast] == [True, True, True, False]


def test_a_worker_lock_needs_a_worker_name() -> None:
    with pytest.raises(LockError, match="WorkerLock 'builds' is per worker"):
        LockRegistry().get_lock(WorkerLock("builds"))


# all or none, and no deadlock


def test_a_request_waits_holding_none_of_its_locks() -> None:
    registry = LockRegistry()
    free, busy = MasterLock("free"), MasterLock("busy")
    acquire(registry, [busy.access("exclusive")], "holder")

    waiting = acquire(registry, [free.access("exclusive"), busy.access("exclusive")], "both")

    assert not has(waiting)
    assert registry.get_lock(free).holders == []
    assert registry.held_by("both") == []


def test_two_owners_taking_two_locks_in_opposite_orders_do_not_deadlock() -> None:
    registry = LockRegistry()
    one, two = MasterLock("one"), MasterLock("two")
    acquire(registry, [one.access("exclusive")], "h1")
    acquire(registry, [two.access("exclusive")], "h2")
    a = acquire(registry, [one.access("exclusive"), two.access("exclusive")], "a")
    b = acquire(registry, [two.access("exclusive"), one.access("exclusive")], "b")

    registry.release_all("h1")
    assert not has(a) and not has(b)
    assert registry.get_lock(one).holders == []  # nobody sits on "one" while waiting for "two"
    registry.release_all("h2")
    assert has(a) and not has(b)
    registry.release_all("a")
    assert has(b)
    assert registry.held_by("b") == [registry.get_lock(two), registry.get_lock(one)]


def test_the_same_owner_asking_again_for_a_held_lock_is_an_error() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=2)
    acquire(registry, [lock.access("counting")], "a")

    failed = acquire(registry, [lock.access("counting")], "a")

    assert isinstance(failure_of(failed), LockError)


# fairness


def test_an_exclusive_waiter_is_not_starved_by_later_counting_requests() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=2)
    acquire(registry, [lock.access("counting")], "reader1")
    writer = acquire(registry, [lock.access("exclusive")], "writer")
    reader2 = acquire(registry, [lock.access("counting")], "reader2")

    assert not has(reader2), "a slot is free, but the writer came first"
    registry.release_all("reader1")
    assert has(writer) and not has(reader2)
    registry.release_all("writer")
    assert has(reader2)


def test_a_large_counting_waiter_keeps_its_place() -> None:
    registry = LockRegistry()
    lock = MasterLock("cpu", maxCount=4)
    acquire(registry, [lock.access("counting", 2)], "running")
    big = acquire(registry, [lock.access("counting", 4)], "big")
    small = acquire(registry, [lock.access("counting", 1)], "small")

    assert not has(big) and not has(small)
    registry.release_all("running")
    assert has(big) and not has(small)


def test_later_requests_may_use_capacity_an_earlier_waiter_does_not_need() -> None:
    registry = LockRegistry()
    shared, other = MasterLock("shared", maxCount=3), MasterLock("other")
    acquire(registry, [other.access("exclusive")], "holder")
    early = acquire(registry, [shared.access("counting"), other.access("exclusive")], "early")
    late = acquire(registry, [shared.access("counting")], "late")

    assert not has(early) and has(late)


def test_waiters_are_granted_in_arrival_order() -> None:
    registry = LockRegistry()
    lock = MasterLock("db")
    acquire(registry, [lock.access("exclusive")], "first")
    order: list[str] = []
    for name in ("second", "third", "fourth"):
        waiting = acquire(registry, [lock.access("exclusive")], name)
        waiting.addCallback(lambda _, name: order.append(name), name)

    for name in ("first", "second", "third"):
        registry.release_all(name)

    assert order == ["second", "third", "fourth"]


# cancellation and timeouts


def test_cancelling_a_waiting_acquire_withdraws_it() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=2)
    acquire(registry, [lock.access("counting")], "reader1")
    writer = acquire(registry, [lock.access("exclusive")], "writer")
    reader2 = acquire(registry, [lock.access("counting")], "reader2")

    writer.cancel()

    assert isinstance(failure_of(writer), defer.CancelledError)
    assert has(reader2), "with the writer gone, the free slot goes to the next reader"
    assert registry.get_lock(lock).waiting == 0


def test_a_waiting_acquire_can_time_out_on_a_clock() -> None:
    clock = task.Clock()
    registry = LockRegistry()
    lock = MasterLock("db")
    acquire(registry, [lock.access("exclusive")], "holder")
    waiting = acquire(registry, [lock.access("exclusive")], "impatient")
    waiting.addTimeout(30, clock)

    clock.advance(30)

    assert isinstance(failure_of(waiting), defer.TimeoutError)
    registry.release_all("holder")
    assert registry.get_lock(lock).holders == []


def test_cancelling_an_acquire_granted_in_the_same_release_gives_its_locks_back() -> None:
    registry = LockRegistry()
    lock = MasterLock("db", maxCount=2)
    acquire(registry, [lock.access("exclusive")], "writer")
    first = acquire(registry, [lock.access("counting")], "first")
    second = acquire(registry, [lock.access("counting")], "second")
    first.addCallback(lambda _: second.cancel())

    registry.release_all("writer")

    assert registry.get_lock(lock).holders == ["first"]
    assert isinstance(failure_of(second), defer.CancelledError)
    assert registry.held_by("second") == []


# release and misuse


def test_releasing_without_holding_is_an_error() -> None:
    with pytest.raises(LockError, match="'nobody' releases locks it does not hold"):
        LockRegistry().release_all("nobody")


def test_releasing_twice_is_an_error() -> None:
    registry = LockRegistry()
    acquire(registry, [MasterLock("db").access("counting")], "a")
    registry.release_all("a")

    with pytest.raises(LockError):
        registry.release_all("a")


def test_an_owner_with_an_empty_request_may_release() -> None:
    registry = LockRegistry()
    assert has(acquire(registry, [], "build"))
    registry.release_all("build")


def test_using_a_lock_with_max_count_below_one_is_a_lock_error() -> None:
    with pytest.raises(LockError, match="maxCount must be an integer of at least 1, not 0"):
        LockRegistry().get_lock(MasterLock("db", maxCount=0))


def test_same_name_with_conflicting_max_count_is_a_lock_error_at_use() -> None:
    registry = LockRegistry()
    registry.get_lock(MasterLock("db", maxCount=1))

    with pytest.raises(LockError, match="conflicts with MasterLock\\('db', maxCount=1\\)"):
        registry.get_lock(MasterLock("db", maxCount=2))


def test_something_that_is_not_an_access_is_a_lock_error() -> None:
    failed = acquire(LockRegistry(), ["db"], "a")

    assert "is not a lock access" in str(failure_of(failed))


def test_is_available_answers_without_taking() -> None:
    registry = LockRegistry()
    lock = MasterLock("db")

    assert registry.is_available([lock.access("exclusive")])
    acquire(registry, [lock.access("exclusive")], "a")
    assert not registry.is_available([lock.access("counting")])


# reconfiguration


def test_configure_rejects_conflicting_locks_and_changes_nothing() -> None:
    registry = LockRegistry()
    real = registry.get_lock(MasterLock("db", maxCount=1))

    with pytest.raises(LockError, match="one name, one limit"):
        registry.configure([MasterLock("db", maxCount=2), MasterLock("db", maxCount=3)])
    assert real.max_count == 1


def test_a_reconfig_raising_max_count_lets_waiters_in() -> None:
    registry = LockRegistry()
    old = MasterLock("db", maxCount=1)
    registry.configure([old])
    acquire(registry, [old.access("counting")], "a")
    waiting = acquire(registry, [old.access("counting")], "b")

    registry.configure([MasterLock("db", maxCount=2)])

    assert has(waiting)
    assert registry.get_lock(old).max_count == 2, "the configured limit wins over an old object"


def test_a_reconfig_lowering_max_count_keeps_current_holders() -> None:
    registry = LockRegistry()
    lock = WorkerLock("builds", maxCount=2)
    registry.configure([lock])
    acquire(registry, [lock.access("counting")], "a", "w")
    acquire(registry, [lock.access("counting")], "b", "w")

    registry.configure([WorkerLock("builds", maxCount=1)])

    real = registry.get_lock(lock, "w")
    assert real.holders == ["a", "b"] and real.max_count == 1
    registry.release_all("a")
    assert not has(acquire(registry, [lock.access("counting")], "c", "w"))


def test_locks_with_the_same_kind_name_and_limits_are_equal() -> None:
    assert MasterLock("db", maxCount=2) == MasterLock("db", maxCount=2)
    assert MasterLock("db", maxCount=2) != MasterLock("db", maxCount=3)
    assert MasterLock("db") != WorkerLock("db")
    assert MasterLock("db").access("exclusive") == MasterLock("db").access("exclusive")


def test_a_waiter_that_a_reconfig_makes_impossible_fails_instead_of_blocking_the_queue() -> None:
    registry = LockRegistry()
    lock = MasterLock("cpu", maxCount=4)
    registry.configure([lock])
    acquire(registry, [lock.access("counting", 2)], "running")
    greedy = acquire(registry, [lock.access("counting", 4)], "greedy")
    modest = acquire(registry, [lock.access("counting", 1)], "modest")

    registry.configure([MasterLock("cpu", maxCount=3)])

    assert "more than a lock allows" in str(failure_of(greedy))
    assert has(modest)
