"""Checks for the plain settings: metadata, global properties, build hooks, logs, caches, horizons.

Each entry of ``SETTING_CHECKS`` maps a ``BuildmasterConfig`` key to its
check (see ``checks_base``). The values here are plain Python data or
callables; the objects of later subsystems are checked in ``checks_objects``
and the listeners and storage in ``checks_network``.
"""

from __future__ import annotations

import codecs
import json
import math
import re
from typing import Any

from marid.config.checks_base import (
    Check,
    KeyContext,
    bool_setting,
    callable_setting,
    int_setting,
    is_int,
    must_be,
    str_setting,
    suggestion,
    type_name,
)
from marid.config.master_config import LogCompression, default_validation

# Buildbot's method names, and how Marid stores each: it writes zstd or zlib chunks
# (or none), so methods it does not implement fall back to zstd, the best of the two.
LOG_COMPRESSION_METHODS: dict[str, LogCompression] = {
    "raw": "raw",
    "gz": "zlib",
    "bz2": "zstd",
    "lz4": "zstd",
    "zstd": "zstd",
}


def check_buildbot_url(value: object, k: KeyContext) -> None:
    if not isinstance(value, str):
        k.error(must_be("a str", value))
    elif not value.startswith(("http://", "https://")):
        k.error(f"must be an http:// or https:// URL, not {value!r}")
    else:
        # Links are built by appending paths, so the URL must name a directory.
        k.config.buildbot_url = value if value.endswith("/") else value + "/"


def _json_problem(value: object, path: str) -> str | None:
    """Why ``value`` cannot be stored as JSON, or None if it can."""
    if value is None or isinstance(value, str | bool | int):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else f"{path} is {value}"
    if isinstance(value, list | tuple):
        for index, item in enumerate(value):
            problem = _json_problem(item, f"{path}[{index}]")
            if problem:
                return problem
        return None
    if isinstance(value, dict):
        for name, item in value.items():
            if not isinstance(name, str):
                return f"{path} has a key of type {type_name(name)}"
            problem = _json_problem(item, f"{path}[{name!r}]")
            if problem:
                return problem
        return None
    return f"{path} is a {type_name(value)}"


def check_properties(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict", value))
        return
    properties: dict[str, Any] = {}
    for name, item in value.items():
        if not isinstance(name, str):
            k.error(f"property names must be str, not {type_name(name)}")
            continue
        problem = _json_problem(item, f"property {name!r}")
        if problem:
            k.error(f"{problem}; property values must be JSON data (str, int, list, dict...)")
            continue
        properties[name] = json.loads(json.dumps(item))
    k.config.properties = properties


def check_collapse_requests(value: object, k: KeyContext) -> None:
    if value is None:
        k.config.collapse_requests = True
    elif isinstance(value, bool) or callable(value):
        k.config.collapse_requests = value
    else:
        k.error(must_be("True, False or a callable", value))


def check_log_compression_method(value: object, k: KeyContext) -> None:
    if isinstance(value, str) and value in LOG_COMPRESSION_METHODS:
        k.config.log_compression = LOG_COMPRESSION_METHODS[value]
    else:
        known = ", ".join(repr(m) for m in LOG_COMPRESSION_METHODS)
        k.error(f"must be one of {known}, not {value!r}")


def check_log_encoding(value: object, k: KeyContext) -> None:
    if not isinstance(value, str):
        k.error(must_be("a str", value))
        return
    try:
        codecs.lookup(value)
    except LookupError:
        k.error(f"unknown encoding {value!r}")
        return
    k.config.log_encoding = value


def check_log_max_tail_size(value: object, k: KeyContext) -> None:
    int_setting("log_max_tail_size", minimum=1, optional=True)(value, k)
    max_size = k.raw.get("logMaxSize")
    if is_int(value) and is_int(max_size) and value > max_size:
        k.error(f"is larger than c['logMaxSize'] ({value} > {max_size})")


def check_caches(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict of cache name to size", value))
        return
    for name, size in value.items():
        if not isinstance(name, str):
            k.error(f"cache names must be str, not {type_name(name)}")
        elif not is_int(size) or size < 0:
            k.error(f"size of cache {name!r} must be an int of at least 0, not {size!r}")
        else:
            k.config.caches[name] = size


def check_validation(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict of name to regular expression", value))
        return
    known = default_validation().keys()
    for name, pattern in value.items():
        if name not in known:
            k.error(f"unknown validation {name!r}{suggestion(str(name), known)}")
        elif isinstance(pattern, re.Pattern) and isinstance(pattern.pattern, str):
            k.config.validation[name] = pattern
        elif isinstance(pattern, str):
            try:
                k.config.validation[name] = re.compile(pattern)
            except re.error as error:
                k.error(f"validation {name!r} is not a valid regular expression: {error}")
        else:
            k.error(
                f"validation {name!r} must be a str or re.compile(...), not {type_name(pattern)}"
            )


def ignore(value: object, k: KeyContext) -> None:
    """Accepted for compatibility; Marid never sends usage data anywhere."""


def check_manhole(value: object, k: KeyContext) -> None:
    k.config.manhole = value


SETTING_CHECKS: dict[str, Check] = {
    "title": str_setting("title"),
    "titleURL": str_setting("title_url", optional=True),
    "buildbotURL": check_buildbot_url,
    "properties": check_properties,
    "collapseRequests": check_collapse_requests,
    "prioritizeBuilders": callable_setting("prioritize_builders"),
    "codebaseGenerator": callable_setting("codebase_generator"),
    "revlink": callable_setting("revlink"),
    "validation": check_validation,
    "logCompressionMethod": check_log_compression_method,
    "logCompressionLimit": int_setting("log_compression_limit", minimum=0, optional=False),
    "logEncoding": check_log_encoding,
    "logMaxSize": int_setting("log_max_size", minimum=1, optional=True),
    "logMaxTailSize": check_log_max_tail_size,
    "caches": check_caches,
    "buildHorizon": int_setting("build_horizon", minimum=0, optional=True),
    "logHorizon": int_setting("log_horizon", minimum=0, optional=True),
    "eventHorizon": int_setting("event_horizon", minimum=0, optional=True),
    "changeHorizon": int_setting("change_horizon", minimum=0, optional=True),
    "multiMaster": bool_setting("multi_master"),
    "manhole": check_manhole,
    "buildbotNetUsageData": ignore,
}
