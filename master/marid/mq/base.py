"""Routing keys, filters and the consumer handle shared by every MQ implementation."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

RoutingKey = tuple[str, ...]
KeyFilter = tuple[str | None, ...]
Callback = Callable[[RoutingKey, dict[str, Any]], object]


def parse_filter(path: str | Sequence[str | None]) -> KeyFilter:
    """``"builds/*/finished"`` or a sequence -> a filter tuple with ``None`` wildcards."""
    parts = path.strip("/").split("/") if isinstance(path, str) else list(path)
    return tuple(None if p in (None, "*") else str(p) for p in parts)


def key_matches(key: RoutingKey, flt: KeyFilter) -> bool:
    if len(key) != len(flt):
        return False
    return all(f is None or f == k for k, f in zip(key, flt, strict=True))


class Consumer:
    """A subscription; ``stop_consuming()`` ends it and is safe to call twice."""

    def __init__(self, flt: KeyFilter, callback: Callback, on_stop: Callable[[Consumer], None]):
        self.filter = flt
        self.callback = callback
        self._on_stop: Callable[[Consumer], None] | None = on_stop

    def stop_consuming(self) -> None:
        if self._on_stop is not None:
            on_stop, self._on_stop = self._on_stop, None
            on_stop(self)

    @property
    def active(self) -> bool:
        return self._on_stop is not None
