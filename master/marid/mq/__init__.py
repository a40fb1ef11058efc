"""The message queue: how state changes reach reporters, the web UI and other masters.

Routing keys are tuples of strings such as ``("builds", "12", "finished")``.
Consumers subscribe with a filter of the same length in which ``None`` or
``"*"`` matches any one segment. ``simple`` is in-process and the default;
``redis`` (multi-master) comes with its subsystem.
"""

from marid.mq.base import Consumer, RoutingKey, key_matches, parse_filter
from marid.mq.simple import SimpleMQ

__all__ = ["Consumer", "RoutingKey", "SimpleMQ", "key_matches", "parse_filter"]
