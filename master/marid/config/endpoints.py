"""Listening ports in the config: check Twisted endpoint strings and normalise port numbers.

Ports are written either as a number or as a Twisted server endpoint
description such as ``tcp:9989:interface=127.0.0.1``. This module checks the
description's syntax without touching the network or the file system (an
``ssl:`` certificate is looked for when the listener starts, not here), and
turns bare numbers into descriptions so the rest of Marid only sees strings.
It knows the endpoint types that ship with Twisted and no plugins.
"""

from __future__ import annotations

from typing import Literal

LOOPBACK = "127.0.0.1"

_PORT_TYPES = {"tcp", "tcp6", "ssl"}
_ALLOWED_OPTIONS: dict[str, frozenset[str]] = {
    "tcp": frozenset({"port", "interface", "backlog"}),
    "tcp6": frozenset({"port", "interface", "backlog"}),
    "ssl": frozenset(
        {
            "port",
            "interface",
            "backlog",
            "privateKey",
            "certKey",
            "extraCertChain",
            "sslmethod",
            "dhParameters",
        }
    ),
    "unix": frozenset({"address", "mode", "backlog", "lockfile", "wantPID"}),
    "systemd": frozenset({"domain", "index", "name"}),
}
# The option that a bare first argument stands for.
_FIRST_ARGUMENT = {"tcp": "port", "tcp6": "port", "ssl": "port", "unix": "address"}


def split_description(description: str) -> list[str]:
    """Split on ':' the way Twisted does: a backslash escapes the next character."""
    parts: list[str] = []
    current: list[str] = []
    characters = iter(description)
    for character in characters:
        if character == "\\":
            current.append(next(characters, ""))
        elif character == ":":
            parts.append("".join(current))
            current = []
        else:
            current.append(character)
    parts.append("".join(current))
    return parts


def _check_port_number(value: str) -> None:
    if not value.isdigit() or not 0 <= int(value) <= 65535:
        raise ValueError(f"port {value!r} is not a number between 0 and 65535")


def check_endpoint(description: str) -> None:
    """Raise ValueError saying what is wrong with a server endpoint description."""
    kind, *arguments = split_description(description)
    if kind not in _ALLOWED_OPTIONS:
        known = ", ".join(sorted(_ALLOWED_OPTIONS))
        raise ValueError(f"unknown endpoint type {kind!r} in {description!r} (known: {known})")
    options: dict[str, str] = {}
    positional: list[str] = []
    for argument in arguments:
        name, equals, value = argument.partition("=")
        if equals:
            if name not in _ALLOWED_OPTIONS[kind]:
                allowed = ", ".join(sorted(_ALLOWED_OPTIONS[kind]))
                raise ValueError(f"{kind!r} endpoints take no option {name!r} (allowed: {allowed})")
            options[name] = value
        else:
            positional.append(argument)
    first = _FIRST_ARGUMENT.get(kind)
    if positional:
        if first is None or len(positional) > 1 or first in options:
            raise ValueError(f"too many positional arguments in {description!r}")
        options[first] = positional[0]
    if kind in _PORT_TYPES:
        if "port" not in options:
            raise ValueError(f"{description!r} names no port")
        _check_port_number(options["port"])
    elif kind == "unix" and not options.get("address"):
        raise ValueError(f"{description!r} names no socket path")
    elif kind == "systemd" and ("domain" not in options or not options.keys() & {"index", "name"}):
        raise ValueError(f"{description!r} needs domain= and index= (or name=)")
    if "backlog" in options and not options["backlog"].isdigit():
        raise ValueError(f"backlog {options['backlog']!r} is not a number")


def normalise_port(value: object, numbers_bind: Literal["loopback", "all"]) -> str:
    """Turn a port setting into an endpoint description, or raise ValueError/TypeError.

    A number means TCP on that port: on 127.0.0.1 when ``numbers_bind`` is
    ``"loopback"``, on every interface when it is ``"all"``. A string of
    digits counts as a number; any other string must be an endpoint
    description and is returned unchanged.
    """
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise TypeError(
            f"must be a port number or an endpoint string such as 'tcp:8010', "
            f"not {type(value).__name__}"
        )
    if isinstance(value, str) and not value.isdigit():
        check_endpoint(value)
        return value
    _check_port_number(str(value))
    if numbers_bind == "loopback":
        return f"tcp:{int(value)}:interface={LOOPBACK}"
    return f"tcp:{int(value)}"
