"""Slowing down password guessing: failed logins counted per key.

The login page's key is the user name and the client address together, so
that behind a shared reverse proxy one person's mistakes lock out no one
else. After ``max_failures`` failed logins with one key within ``window``
seconds, further attempts with it are refused (429, with ``Retry-After``)
until its oldest failure leaves the window; a successful login clears its
count. Only failures are remembered, each for ``window`` seconds, and the
table is pruned as it grows, so a flood of addresses cannot grow it without
bound.
"""

from __future__ import annotations

import math
from collections import deque
from collections.abc import Callable, Hashable

MAX_FAILURES = 10
WINDOW = 300.0
# Keys remembered before stale entries are pruned.
PRUNE_ABOVE = 10_000


class LoginThrottle:
    def __init__(
        self,
        seconds: Callable[[], float],
        max_failures: int = MAX_FAILURES,
        window: float = WINDOW,
    ) -> None:
        self.seconds = seconds
        self.max_failures = max_failures
        self.window = window
        self._failures: dict[Hashable, deque[float]] = {}

    def _recent(self, client: Hashable) -> deque[float]:
        failures = self._failures.get(client)
        if failures is None:
            return deque()
        horizon = self.seconds() - self.window
        while failures and failures[0] <= horizon:
            failures.popleft()
        if not failures:
            del self._failures[client]
        return failures

    def retry_after(self, client: Hashable) -> int | None:
        """Seconds until ``client`` may try again, or None when it may now."""
        failures = self._recent(client)
        if len(failures) < self.max_failures:
            return None
        return max(1, math.ceil(failures[0] + self.window - self.seconds()))

    def failed(self, client: Hashable) -> None:
        if len(self._failures) >= PRUNE_ABOVE:
            for known in list(self._failures):
                self._recent(known)
        self._failures.setdefault(client, deque()).append(self.seconds())

    def succeeded(self, client: Hashable) -> None:
        self._failures.pop(client, None)
