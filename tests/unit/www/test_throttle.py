"""Failed logins per client address: refused after too many, until the window passes."""

from __future__ import annotations

from marid.www.throttle import LoginThrottle


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_client_is_refused_after_the_maximum_failures_until_the_oldest_expires() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock, max_failures=3, window=60)
    for _ in range(2):
        throttle.failed("127.0.0.2")
        clock.now += 10
    assert throttle.retry_after("127.0.0.2") is None
    throttle.failed("127.0.0.2")
    assert throttle.retry_after("127.0.0.2") == 40  # the first failure, at 1000, ends at 1060
    assert throttle.retry_after("127.0.0.3") is None  # others are not affected
    clock.now = 1060
    assert throttle.retry_after("127.0.0.2") is None


def test_a_success_clears_the_count() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock, max_failures=2, window=60)
    throttle.failed("127.0.0.2")
    throttle.succeeded("127.0.0.2")
    throttle.failed("127.0.0.2")
    assert throttle.retry_after("127.0.0.2") is None


def test_expired_failures_are_forgotten() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock, max_failures=2, window=60)
    throttle.failed("127.0.0.2")
    clock.now += 61
    assert throttle.retry_after("127.0.0.2") is None
    assert throttle._failures == {}


def test_keys_of_user_and_address_are_counted_apart() -> None:
    clock = Clock()
    throttle = LoginThrottle(clock, max_failures=2, window=60)
    throttle.failed(("ann", "127.0.0.2"))
    throttle.failed(("ann", "127.0.0.2"))
    assert throttle.retry_after(("ann", "127.0.0.2")) == 60
    assert throttle.retry_after(("bob", "127.0.0.2")) is None
    assert throttle.retry_after(("ann", "127.0.0.3")) is None
