"""Checks for who may use the web server: ``c['www']['auth']``, ``['authz']`` and
``['cookie_expiration_time']``.

The converters judge the top-level type (``check_www`` calls them like its
other option converters); ``check_access_objects`` then lets the auth and
authz objects check their own arguments, so that a bad rule or role matcher
is reported with the line of ``master.cfg`` that built it. The classes live in
``marid.www``; they are imported only when a config sets these options.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any

from marid.config.checks_base import KeyContext, must_be
from marid.config.master_config import WwwConfig


def auth_object(value: object) -> Any:
    from marid.www.auth import AuthBase

    if value is None or isinstance(value, AuthBase):
        return value
    raise TypeError(must_be("an auth object such as util.UserPasswordAuth({'admin': 'pw'})", value))


def authz_object(value: object) -> Any:
    from marid.www.authz import Authz

    if value is None or isinstance(value, Authz):
        return value
    raise TypeError(must_be("util.Authz(allowRules=[...], roleMatchers=[...])", value))


def positive_timedelta(value: object) -> timedelta:
    if not isinstance(value, timedelta):
        raise TypeError(must_be("a timedelta such as datetime.timedelta(hours=8)", value))
    if value <= timedelta(0):
        raise ValueError(f"must be longer than zero, not {value}")
    return value


def check_access_objects(www: WwwConfig, k: KeyContext) -> None:
    """Run the auth and authz objects' own checks; their errors belong to ``c['www']``."""
    for option, obj in (("auth", www.auth), ("authz", www.authz)):
        if obj is None:
            continue
        before = len(k.errors)
        try:
            obj.check_config(k.errors)
        except Exception as error:
            k.error(
                f"{option!r}: checking {type(obj).__name__} raised {type(error).__name__}: {error}",
                about=obj,
            )
        for index in range(before, len(k.errors)):
            if k.errors.errors[index].key is None:
                k.errors.errors[index] = replace(k.errors.errors[index], key=k.key)
