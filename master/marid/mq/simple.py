"""The in-process MQ: delivers each event synchronously to every matching consumer.

Consumers are indexed by the first segment of their filter, so producing an
event touches only the consumers of that resource type. A consumer that raises
is logged and does not stop delivery to the others.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from twisted.logger import Logger

from marid.mq.base import Callback, Consumer, KeyFilter, RoutingKey, key_matches, parse_filter

log = Logger()


class SimpleMQ:
    def __init__(self) -> None:
        self._by_head: dict[str | None, list[Consumer]] = defaultdict(list)

    def produce(self, key: RoutingKey, data: dict[str, Any]) -> None:
        for head in (key[0] if key else None, None):
            for consumer in list(self._by_head.get(head, ())):
                if consumer.active and key_matches(key, consumer.filter):
                    try:
                        consumer.callback(key, data)
                    except Exception:
                        log.failure(
                            "MQ consumer for {flt} failed on {key}", flt=consumer.filter, key=key
                        )

    def start_consuming(self, callback: Callback, flt: KeyFilter | str) -> Consumer:
        key_filter = parse_filter(flt) if isinstance(flt, str) else flt
        head = key_filter[0] if key_filter else None
        consumer = Consumer(key_filter, callback, self._remove)
        self._by_head[head].append(consumer)
        return consumer

    def _remove(self, consumer: Consumer) -> None:
        head = consumer.filter[0] if consumer.filter else None
        consumers = self._by_head.get(head, [])
        if consumer in consumers:
            consumers.remove(consumer)

    def consumer_count(self) -> int:
        return sum(len(c) for c in self._by_head.values())
