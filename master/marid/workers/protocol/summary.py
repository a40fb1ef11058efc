"""``RepeatSummary``: one log line for the first of a burst of like events, then counts.

Two thousand idle connections closed at once should not write two thousand
lines. The first event of a burst is logged as it happens, with its details;
later ones within ``interval`` seconds are only counted, and one line at the
end of the interval says how many there were and names the last. Then the
next event starts a new burst. Runs on the injected clock, reactor thread only.
"""

from __future__ import annotations

from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

log = Logger()

DEFAULT_INTERVAL = 60.0


class RepeatSummary:
    """Log ``first`` for the first event, ``summary`` for the rest of each ``interval``.

    ``first`` is formatted with the event's fields, ``summary`` with ``count``,
    ``seconds`` (the interval) and the last event's fields.
    """

    def __init__(
        self, clock: IReactorTime, first: str, summary: str, interval: float = DEFAULT_INTERVAL
    ) -> None:
        self._clock = clock
        self._first = first
        self._summary = summary
        self.interval = interval
        self._count = 0
        self._last: dict[str, object] = {}
        self._timer: IDelayedCall | None = None

    def note(self, **fields: object) -> None:
        if self._timer is None:
            log.warn(self._first, **fields)
            self._timer = self._clock.callLater(self.interval, self._flush)
            return
        self._count += 1
        self._last = fields

    def _flush(self) -> None:
        self._timer = None
        if self._count:
            log.warn(self._summary, count=self._count, seconds=self.interval, **self._last)
        self._count = 0
        self._last = {}

    def stop(self) -> None:
        """Log what is counted now and cancel the timer."""
        if self._timer is not None and self._timer.active():
            self._timer.cancel()
            self._flush()
