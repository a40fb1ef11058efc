"""Reading a JSON-RPC request body within ``c['www']``'s limits.

``decode(raw, limits)`` parses the body, refusing (``BodyError``) what is not
JSON, not UTF-8, or nested deeper than ``max_json_depth``: Python's parser
recurses, so a body of 100,000 brackets would otherwise end in a
``RecursionError``. A body with no more brackets than the limit cannot be too
deep and is parsed at once; any other is parsed with ``RecursionError``
caught, then measured without recursion.

``param_problems(params, limits)`` names each control parameter that is too
long: ``reason`` and ``comments`` may hold ``max_reason_length`` characters,
every other parameter (force form fields, property names and values)
``max_field_length``; a parameter's name counts as well as its value.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from marid.config.master_config import WwwConfig

REASON_PARAMS = frozenset({"reason", "comments"})


@dataclass(frozen=True)
class BodyLimits:
    max_json_depth: int = WwwConfig.max_json_depth
    max_reason_length: int = WwwConfig.max_reason_length
    max_field_length: int = WwwConfig.max_field_length

    @classmethod
    def from_config(cls, www: WwwConfig) -> BodyLimits:
        return cls(www.max_json_depth, www.max_reason_length, www.max_field_length)


class BodyError(ValueError):
    """The body cannot be used; the message says why."""


def depth(value: Any) -> int:
    """How deeply ``value``'s lists and dicts nest (a scalar is 0), without recursion."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 0)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            item = list(item.values())
        if isinstance(item, list):
            level += 1
            deepest = max(deepest, level)
            stack.extend((child, level) for child in item if isinstance(child, dict | list))
    return deepest


def decode(raw: bytes, limits: BodyLimits) -> Any:
    """The JSON value of ``raw``; ``BodyError`` when it is not JSON or nests too deeply."""
    too_deep = f"the JSON body nests deeper than {limits.max_json_depth} levels"
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise BodyError("the body is not UTF-8") from None
    try:
        value = json.loads(text)
    except RecursionError:
        raise BodyError(too_deep) from None
    except ValueError as error:
        raise BodyError(f"invalid JSON: {error}") from None
    brackets = text.count("[") + text.count("{")
    if brackets > limits.max_json_depth and depth(value) > limits.max_json_depth:
        raise BodyError(too_deep)
    return value


def _size(value: Any) -> int:
    if isinstance(value, str):
        return len(value)
    return len(json.dumps(value, ensure_ascii=False))


def param_problems(params: Mapping[str, Any], limits: BodyLimits) -> dict[str, str]:
    """``{name: problem}`` for each parameter longer than its limit."""
    problems: dict[str, str] = {}
    for name, value in params.items():
        if len(name) > limits.max_field_length:
            shown = name[:40] + "..."
            problems[shown] = f"the name is longer than {limits.max_field_length} characters"
            continue
        limit = limits.max_reason_length if name in REASON_PARAMS else limits.max_field_length
        size = _size(value)
        if size > limit:
            problems[name] = f"{size} characters, more than the {limit} allowed"
    return problems
