"""Compare two configurations: which services a reconfig must touch, and what needs a restart.

``changed_sections(old, new)`` names the sections whose settings differ;
the master reconfigures the matching services and leaves the rest alone.
``changed_keys(old, new)`` names the same changes as the ``master.cfg`` keys
an operator wrote (``buildbotURL``, not its section ``title``), for reports.
Sections in ``RESTART_SECTIONS`` (the database, the message queue,
multi-master mode) cannot change under a running master: the master keeps
the old value and logs each line of ``restart_required(old, new)``.

Config objects are compared by value: by their own ``__eq__`` when their class
defines one, otherwise by type and attributes (``vars()``), ignoring the
recorded origin and the attributes a ``ConfigObject`` class declares as
runtime state (``runtime_attributes``). Functions compare by their code (not its line numbers),
defaults and closure, so a ``master.cfg`` that is read again, or whose lines
moved, yields equal functions. When in doubt, two
values count as different: a needless reconfig is cheap, a missed one is not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import fields, is_dataclass
from types import CodeType, FunctionType, MethodType
from typing import Any

from marid.config.master_config import MasterConfig
from marid.config.origin import runtime_attributes
from marid.config.urls import hide_password

# MasterConfig field -> (the section a change to it belongs to, the BuildmasterConfig key
# that sets it, as users write it).
SETTINGS: dict[str, tuple[str, str]] = {
    "title": ("title", "title"),
    "title_url": ("title", "titleURL"),
    "buildbot_url": ("title", "buildbotURL"),
    "pb_port": ("protocols", "protocols"),
    "protocols": ("protocols", "protocols"),
    "www": ("www", "www"),
    "db_url": ("db", "db"),
    "db_engine_kwargs": ("db", "db"),
    "db_timeout": ("db", "db"),
    "mq": ("mq", "mq"),
    "multi_master": ("multiMaster", "multiMaster"),
    "workers": ("workers", "workers"),
    "builders": ("builders", "builders"),
    "collapse_requests": ("builders", "collapseRequests"),
    "prioritize_builders": ("builders", "prioritizeBuilders"),
    "schedulers": ("schedulers", "schedulers"),
    "change_source": ("change_source", "change_source"),
    "codebase_generator": ("change_source", "codebaseGenerator"),
    "revlink": ("change_source", "revlink"),
    "services": ("services", "services"),
    "secrets_providers": ("secrets", "secretsProviders"),
    "user_managers": ("user_managers", "user_managers"),
    "manhole": ("manhole", "manhole"),
    "properties": ("properties", "properties"),
    "validation": ("validation", "validation"),
    "log_compression": ("logs", "logCompressionMethod"),
    "log_compression_limit": ("logs", "logCompressionLimit"),
    "log_encoding": ("logs", "logEncoding"),
    "log_max_size": ("logs", "logMaxSize"),
    "log_max_tail_size": ("logs", "logMaxTailSize"),
    "caches": ("caches", "caches"),
    "build_horizon": ("horizons", "buildHorizon"),
    "log_horizon": ("horizons", "logHorizon"),
    "event_horizon": ("horizons", "eventHorizon"),
    "change_horizon": ("horizons", "changeHorizon"),
}
SECTION_OF_FIELD: dict[str, str] = {field: section for field, (section, _) in SETTINGS.items()}
KEY_OF_FIELD: dict[str, str] = {field: key for field, (_, key) in SETTINGS.items()}
# Not settings: where the config lives, and configurators (already applied to the rest).
NON_SETTING_FIELDS = frozenset({"basedir", "config_file", "configurators"})

RESTART_SECTIONS = frozenset({"db", "mq", "multiMaster"})


def _same(a: object, b: object, seen: set[tuple[int, int]]) -> bool:
    if a is b:
        return True
    if type(a) is not type(b):
        return False
    pair = (id(a), id(b))
    if pair in seen:
        return True  # already being compared further up: cycles compare equal
    seen.add(pair)
    if isinstance(a, list | tuple):
        assert isinstance(b, list | tuple)
        return len(a) == len(b) and all(_same(x, y, seen) for x, y in zip(a, b, strict=True))
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return a.keys() == b.keys() and all(_same(a[key], b[key], seen) for key in a)
    if isinstance(a, FunctionType):
        assert isinstance(b, FunctionType)
        return _same_function(a, b, seen)
    if isinstance(a, MethodType):
        assert isinstance(b, MethodType)
        return _same(a.__func__, b.__func__, seen) and _same(a.__self__, b.__self__, seen)
    if is_dataclass(a) and not isinstance(a, type):
        return all(
            _same(getattr(a, f.name), getattr(b, f.name), seen) for f in fields(a) if f.compare
        )
    if type(a).__eq__ is not object.__eq__:
        return bool(a == b)
    if hasattr(a, "__dict__") and hasattr(b, "__dict__"):
        return _same(_attributes(a), _attributes(b), seen)
    return False


def _code_identity(code: CodeType) -> tuple[object, ...]:
    """What a code object does, without where it sits in its file."""
    consts = tuple(
        _code_identity(const) if isinstance(const, CodeType) else (type(const), const)
        for const in code.co_consts
    )
    return (
        code.co_code,
        consts,
        code.co_names,
        code.co_varnames,
        code.co_freevars,
        code.co_cellvars,
        code.co_flags,
        code.co_argcount,
        code.co_posonlyargcount,
        code.co_kwonlyargcount,
    )


def _same_function(a: FunctionType, b: FunctionType, seen: set[tuple[int, int]]) -> bool:
    if a.__qualname__ != b.__qualname__:
        return False
    if _code_identity(a.__code__) != _code_identity(b.__code__):
        return False
    if not _same(a.__defaults__, b.__defaults__, seen):
        return False
    if not _same(a.__kwdefaults__, b.__kwdefaults__, seen):
        return False
    cells_a = [cell.cell_contents for cell in a.__closure__ or ()]
    cells_b = [cell.cell_contents for cell in b.__closure__ or ()]
    return _same(cells_a, cells_b, seen)


def _attributes(obj: object) -> dict[str, Any]:
    skip = runtime_attributes(type(obj))
    return {name: value for name, value in vars(obj).items() if name not in skip}


def same_value(a: object, b: object) -> bool:
    """Whether two config values are equal for reconfig purposes."""
    return _same(a, b, set())


def changed_fields(old: MasterConfig, new: MasterConfig) -> list[str]:
    """The ``MasterConfig`` fields whose values differ."""
    return [
        f.name
        for f in fields(MasterConfig)
        if f.name not in NON_SETTING_FIELDS
        and not same_value(getattr(old, f.name), getattr(new, f.name))
    ]


def changed_sections(old: MasterConfig, new: MasterConfig) -> set[str]:
    """Names of the sections that differ (``'www'``, ``'workers'``, ``'db'``, ...)."""
    return {SECTION_OF_FIELD[name] for name in changed_fields(old, new)}


def changed_keys(old: MasterConfig, new: MasterConfig) -> list[str]:
    """The ``master.cfg`` keys whose values differ, sorted, each named once."""
    return sorted({KEY_OF_FIELD[name] for name in changed_fields(old, new)})


_RESTART_FIELDS: dict[str, tuple[str, Callable[[MasterConfig], object]]] = {
    "db_url": ("c['db']['db_url']", lambda c: hide_password(c.db_url)),
    "db_engine_kwargs": ("c['db']['engine_kwargs']", lambda c: c.db_engine_kwargs),
    "db_timeout": ("c['db']['timeout']", lambda c: c.db_timeout),
    "mq": ("c['mq']", lambda c: {**vars(c.mq), "redis_url": hide_password(c.mq.redis_url)}),
    "multi_master": ("c['multiMaster']", lambda c: c.multi_master),
}


def restart_required(old: MasterConfig, new: MasterConfig) -> list[str]:
    """One line per change that only takes effect after a restart (passwords hidden).

    The running master keeps the old values of these settings until it restarts.
    """
    messages = []
    for name in changed_fields(old, new):
        if name in _RESTART_FIELDS:
            label, show = _RESTART_FIELDS[name]
            messages.append(f"{label} changed from {show(old)!r} to {show(new)!r}")
    return messages
