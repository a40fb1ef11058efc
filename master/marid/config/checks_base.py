"""The vocabulary shared by the key checks: the per-key context and small typed checkers.

A check is a function ``check(value, key_context)``. It reads one key's
value, reports each problem through ``key_context.error`` and, when the value
is usable, stores its normalised form on ``key_context.config``. Checks never
raise for a bad value; an invalid value leaves the field at its default so
that the remaining keys can still be checked.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from typing import Any, TypeGuard

from marid.config.errors import ErrorCollector
from marid.config.master_config import MasterConfig


@dataclass
class KeyContext:
    """What a check needs: the key it checks, the config being built, the error collector."""

    key: str
    config: MasterConfig
    errors: ErrorCollector
    raw: Mapping[str, Any]

    def error(self, message: str, about: object = None) -> None:
        self.errors.add(message, key=self.key, about=about)

    def location(self, about: object = None) -> str:
        return self.errors.location_of(self.key, about)


Check = Callable[[Any, KeyContext], None]


def type_name(value: object) -> str:
    return "None" if value is None else type(value).__name__


def must_be(expected: str, value: object) -> str:
    return f"must be {expected}, not {type_name(value)}"


def suggestion(name: str, known: Collection[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest known name, or an empty string."""
    matches = difflib.get_close_matches(name, list(known), n=1, cutoff=0.6)
    if not matches:
        lowered = {candidate.lower(): candidate for candidate in known}
        if name.lower() in lowered:
            matches = [lowered[name.lower()]]
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def is_int(value: object) -> TypeGuard[int]:
    """True for ints that are not bools (``True`` is an int to Python, not to a config)."""
    return isinstance(value, int) and not isinstance(value, bool)


def str_setting(field: str, *, optional: bool = False) -> Check:
    def check(value: object, k: KeyContext) -> None:
        if isinstance(value, str) or (optional and value is None):
            setattr(k.config, field, value)
        else:
            k.error(must_be("a str or None" if optional else "a str", value))

    return check


def bool_setting(field: str) -> Check:
    def check(value: object, k: KeyContext) -> None:
        if isinstance(value, bool):
            setattr(k.config, field, value)
        else:
            k.error(must_be("True or False", value))

    return check


def int_setting(field: str, *, minimum: int, optional: bool) -> Check:
    """An int of at least ``minimum``, or None when ``optional``."""

    def check(value: object, k: KeyContext) -> None:
        if optional and value is None:
            setattr(k.config, field, None)
        elif is_int(value):
            if value < minimum:
                k.error(f"must be at least {minimum}, not {value}")
            else:
                setattr(k.config, field, value)
        else:
            k.error(must_be("an int or None" if optional else "an int", value))

    return check


def callable_setting(field: str) -> Check:
    def check(value: object, k: KeyContext) -> None:
        if value is None or callable(value):
            setattr(k.config, field, value)
        else:
            k.error(must_be("a callable or None", value))

    return check


def as_list(value: object, k: KeyContext, what: str) -> list[Any] | None:
    """``value`` as a list when it is a list or tuple; otherwise report and return None."""
    if isinstance(value, list | tuple):
        return list(value)
    k.error(must_be(f"a list of {what}", value))
    return None


def check_options(
    options: Mapping[Any, Any], known: Collection[str], k: KeyContext, what: str
) -> None:
    """Report every option of a settings dict that is not in ``known``."""
    for name in options:
        if not isinstance(name, str):
            k.error(f"{what} option names must be str, not {type_name(name)}")
        elif name not in known:
            k.error(f"unknown {what} option {name!r}{suggestion(name, known)}")
