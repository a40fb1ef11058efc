"""Checks for what the master listens on and stores into: ``protocols``, ``www``, ``db``, ``mq``.

Ports become endpoint descriptions (see ``endpoints``). A number for the web
server means 127.0.0.1 only, because the UI may have no authentication; a
number for the worker port keeps Buildbot's meaning (every interface), because
workers on other machines must reach it. Database and MQ URLs are checked for
shape only; nothing is opened here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable, Mapping
from typing import Any

from marid.config.checks_base import (
    Check,
    KeyContext,
    check_options,
    is_int,
    must_be,
    suggestion,
    type_name,
)
from marid.config.checks_webauth import (
    auth_object,
    authz_object,
    check_access_objects,
    positive_timedelta,
)
from marid.config.endpoints import normalise_port
from marid.config.master_config import DEFAULT_REDIS_URL, MqConfig, WwwConfig
from marid.config.urls import db_url_problem, redis_url_problem


def check_protocols(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict such as {'pb': {'port': 9989}}", value))
        return
    k.config.protocols = {}
    k.config.pb_port = None
    for name, options in value.items():
        if name != "pb":
            k.error(f"unknown protocol {name!r}{suggestion(str(name), ['pb'])}; Marid speaks 'pb'")
        elif not isinstance(options, dict):
            k.error("'pb' " + must_be("a dict such as {'port': 9989}", options))
        elif "port" not in options:
            k.error("'pb' needs a 'port'")
        else:
            check_options(options, ["port"], k, "'pb'")
            try:
                port = None if options["port"] is None else normalise_port(options["port"], "all")
            except (TypeError, ValueError) as error:
                k.error(f"'pb' port: {error}")
                continue
            k.config.protocols["pb"] = {"port": port}
            k.config.pb_port = port


# -- www ----------------------------------------------------------------------


def _www_port(value: object) -> str | None:
    return None if value is None else normalise_port(value, "loopback")


def _instance(kind: type, description: str, *, optional: bool = False) -> Callable[[object], Any]:
    def convert(value: object) -> object:
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return value
        if optional and value is None:
            return None
        raise TypeError(must_be(description + (" or None" if optional else ""), value))

    return convert


def _str_list(value: object) -> list[str]:
    if isinstance(value, list | tuple) and all(isinstance(item, str) for item in value):
        return list(value)
    raise TypeError(must_be("a list of str", value))


def _non_negative(value: object) -> float:
    if isinstance(value, int | float) and not isinstance(value, bool) and value >= 0:
        return value
    raise TypeError(f"must be a number of seconds of at least 0, not {value!r}")


def _at_least(low: int) -> Callable[[object], int]:
    def convert(value: object) -> int:
        if is_int(value) and value >= low:
            return value
        raise TypeError(f"must be an int of at least {low}, not {value!r}")

    return convert


def _networks(value: object) -> list[str]:
    addresses = _str_list(value)
    for address in addresses:
        try:
            ipaddress.ip_network(address, strict=False)
        except ValueError:
            raise ValueError(f"{address!r} is not an IP address or network") from None
    return addresses


def _optional_positive(value: object) -> int | None:
    if value is None or (is_int(value) and value > 0):
        return value
    raise TypeError(f"must be an int of at least 1 or None, not {value!r}")


def _rest_version(value: object) -> int:
    if is_int(value) and value <= 2:
        return value
    raise TypeError(f"must be an int no greater than 2 (the REST API version), not {value!r}")


def _object_list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else [value]


def _hook_dialects(value: object) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(must_be("a dict of dialect name to options", value))
    for name, options in value.items():
        if not isinstance(options, dict | bool):
            raise ValueError(f"options of dialect {name!r} {must_be('a dict or True', options)}")
    return dict(value)


def _versions(value: object) -> list[tuple[str, str]]:
    if isinstance(value, list | tuple) and all(
        isinstance(pair, list | tuple) and len(pair) == 2 and all(isinstance(s, str) for s in pair)
        for pair in value
    ):
        return [(name, version) for name, version in value]
    raise TypeError("must be a list of (name, version) pairs of str")


# Option name in c['www'] -> (WwwConfig field, converter raising TypeError or ValueError).
WWW_OPTIONS: dict[str, tuple[str, Callable[[object], Any]]] = {
    "port": ("port", _www_port),
    "allowed_origins": ("allowed_origins", _str_list),
    "ws_ping_interval": ("ws_ping_interval", _non_negative),
    "json_cache_seconds": ("json_cache_seconds", _at_least(0)),
    "auth": ("auth", auth_object),
    "authz": ("authz", authz_object),
    "avatar_methods": ("avatar_methods", _object_list),
    "plugins": ("plugins", _instance(dict, "a dict of plugin name to options")),
    "change_hook_dialects": ("change_hook_dialects", _hook_dialects),
    "change_hook_auth": ("change_hook_auth", lambda v: None if v is None else _str_list(v)),
    "debug": ("debug", _instance(bool, "True or False")),
    "custom_templates_dir": ("custom_templates_dir", _instance(str, "a str", optional=True)),
    "logfileName": ("logfile_name", _instance(str, "a str", optional=True)),
    "logRotateLength": ("log_rotate_length", _optional_positive),
    "maxRotatedFiles": ("max_rotated_files", _optional_positive),
    "default_page": ("default_page", _instance(str, "a str", optional=True)),
    "rest_minimum_version": ("rest_minimum_version", _rest_version),
    "versions": ("versions", _versions),
    "cookie_expiration_time": ("cookie_expiration_time", positive_timedelta),
    "ui_default_config": ("ui_default_config", _instance(dict, "a dict")),
    "theme": ("theme", _instance(dict, "a dict")),
    "max_request_body": ("max_request_body", _at_least(1024)),
    "max_url_length": ("max_url_length", _at_least(256)),
    "max_header_size": ("max_header_size", _at_least(1024)),
    "max_json_depth": ("max_json_depth", _at_least(2)),
    "max_reason_length": ("max_reason_length", _at_least(1)),
    "max_field_length": ("max_field_length", _at_least(1)),
    "trusted_proxies": ("trusted_proxies", _networks),
}


def check_www(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict such as {'port': 8010}", value))
        return
    check_options(value, WWW_OPTIONS, k, "www")
    www = WwwConfig()
    for name, option in value.items():
        if name not in WWW_OPTIONS:
            continue
        field, convert = WWW_OPTIONS[name]
        try:
            setattr(www, field, convert(option))
        except (TypeError, ValueError) as error:
            k.error(f"{name!r} {error}" if isinstance(error, TypeError) else f"{name!r}: {error}")
    check_access_objects(www, k)
    k.config.www = www


# -- db and mq ------------------------------------------------------------------


def check_db_url(value: object, k: KeyContext) -> None:
    if "db" in k.raw:
        k.error("c['db'] and c['db_url'] are both set; keep one")
        return
    problem = db_url_problem(value)
    if problem:
        k.error(problem)
    elif isinstance(value, str):
        k.config.db_url = value


def check_db(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict such as {'db_url': 'sqlite:///state.sqlite'}", value))
        return
    check_options(value, ["db_url", "engine_kwargs", "timeout"], k, "db")
    if "db_url" in value:
        problem = db_url_problem(value["db_url"])
        if problem:
            k.error(f"'db_url': {problem}")
        else:
            k.config.db_url = value["db_url"]
    kwargs = value.get("engine_kwargs", {})
    if isinstance(kwargs, dict) and all(isinstance(name, str) for name in kwargs):
        k.config.db_engine_kwargs = dict(kwargs)
    else:
        k.error(f"'engine_kwargs' {must_be('a dict of str to value', kwargs)}")
    timeout = value.get("timeout", k.config.db_timeout)
    if isinstance(timeout, int | float) and not isinstance(timeout, bool) and timeout > 0:
        k.config.db_timeout = float(timeout)
    else:
        k.error(f"'timeout' {must_be('a number of seconds above 0', timeout)}")


_MQ_OPTIONS: Mapping[str, tuple[str, ...]] = {
    "simple": ("type", "debug"),
    "redis": ("type", "debug", "redis_url", "channel_prefix"),
}


def check_mq(value: object, k: KeyContext) -> None:
    if not isinstance(value, dict):
        k.error(must_be("a dict such as {'type': 'simple'}", value))
        return
    kind: object = value.get("type", "simple")
    if kind == "wamp":
        k.error("Marid has no 'wamp' MQ; use {'type': 'redis', 'redis_url': ...} for multi-master")
        return
    if not isinstance(kind, str) or kind not in _MQ_OPTIONS:
        k.error(f"'type' must be 'simple' or 'redis', not {kind!r}")
        return
    check_options(value, _MQ_OPTIONS[kind], k, f"{kind!r} mq")
    mq = MqConfig(type="redis" if kind == "redis" else "simple")
    debug = value.get("debug", False)
    if isinstance(debug, bool):
        mq.debug = debug
    else:
        k.error(f"'debug' {must_be('True or False', debug)}")
    url = value.get("redis_url", DEFAULT_REDIS_URL)
    problem = redis_url_problem(url)
    if problem:
        k.error(f"'redis_url': {problem}")
    else:
        mq.redis_url = url
    prefix = value.get("channel_prefix", mq.channel_prefix)
    if isinstance(prefix, str) and prefix:
        mq.channel_prefix = prefix
    else:
        k.error(f"'channel_prefix' must be a non-empty str, not {type_name(prefix)}")
    k.config.mq = mq


NETWORK_CHECKS: dict[str, Check] = {
    "protocols": check_protocols,
    "www": check_www,
    "db": check_db,
    "db_url": check_db_url,
    "mq": check_mq,
}
