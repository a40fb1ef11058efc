"""The worker's configuration: ``BASEDIR/marid-worker.json``, written by ``create-worker``.

The file holds the master's address, the worker's name and password and the
run-time options; it is written with mode 0600 because of the password. Every
value is checked when the file is read, and a bad one is a :class:`ConfigError`
with a one-line message. The checks are shared with the command line, so that
``create-worker`` refuses what ``start`` would refuse.
"""

from __future__ import annotations

import dataclasses
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from marid_worker.errors import ConfigError
from marid_worker.wire import DEFAULT_MAX_REFERENCES

CONFIG_FILE = "marid-worker.json"
DEFAULT_PORT = 9989
SHUTDOWN_CHOICES = ("signal", "file")


@dataclass(frozen=True)
class WorkerConfig:
    master_host: str
    master_port: int
    name: str
    password: str
    connection_string: str | None = None
    use_tls: bool = False
    keepalive: int = 600
    umask: int | None = None
    maxdelay: int = 300
    maxretries: int | None = None
    allow_shutdown: str | None = None
    delete_leftover_dirs: bool = False
    log_size: int = 10_000_000
    log_count: int = 10
    numcpus: int | None = None
    max_references: int = DEFAULT_MAX_REFERENCES

    def __post_init__(self) -> None:
        if not self.name:
            raise ConfigError("the worker name must not be empty")
        if not self.connection_string and not self.master_host:
            raise ConfigError("the master host must not be empty")
        if not 0 < self.master_port < 65536:
            raise ConfigError(f"master port {self.master_port} is not between 1 and 65535")
        _at_least("keepalive", self.keepalive, 0)
        _at_least("maxdelay", self.maxdelay, 1)
        _at_least("log-size", self.log_size, 1)
        _at_least("log-count", self.log_count, 0)
        _at_least("max-references", self.max_references, 16)
        if self.maxretries is not None:
            _at_least("maxretries", self.maxretries, 0)
        if self.numcpus is not None:
            _at_least("numcpus", self.numcpus, 1)
        if self.umask is not None and not 0 <= self.umask <= 0o777:
            raise ConfigError(f"umask {oct(self.umask)} is not between 0o000 and 0o777")
        if self.allow_shutdown not in (None, *SHUTDOWN_CHOICES):
            raise ConfigError(
                f"allow-shutdown must be 'signal' or 'file', not {self.allow_shutdown!r}"
            )

    @property
    def master_address(self) -> str:
        if self.connection_string:
            return self.connection_string
        host = f"[{self.master_host}]" if ":" in self.master_host else self.master_host
        return f"{host}:{self.master_port}"

    def to_json(self) -> str:
        return json.dumps(dataclasses.asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_json(cls, text: str, source: str = CONFIG_FILE) -> WorkerConfig:
        try:
            data = json.loads(text)
        except ValueError as error:
            raise ConfigError(f"{source} is not valid JSON: {error}") from None
        if not isinstance(data, dict):
            raise ConfigError(f"{source} must hold a JSON object")
        fields = {field.name: field for field in dataclasses.fields(cls)}
        unknown = sorted(set(data) - set(fields))
        if unknown:
            raise ConfigError(f"{source}: unknown setting {unknown[0]!r}")
        missing = [
            name for name in ("master_host", "master_port", "name", "password") if name not in data
        ]
        if missing:
            raise ConfigError(f"{source}: missing setting {missing[0]!r}")
        for name, value in data.items():
            _check_type(source, name, value, fields[name].type)
        return cls(**data)


def _at_least(name: str, value: int, minimum: int) -> None:
    if value < minimum:
        raise ConfigError(f"{name} must be at least {minimum}, not {value}")


_TYPES: dict[str, tuple[type, ...]] = {
    "str": (str,),
    "int": (int,),
    "bool": (bool,),
    "str | None": (str, type(None)),
    "int | None": (int, type(None)),
}


def _check_type(source: str, name: str, value: Any, annotation: Any) -> None:
    allowed = _TYPES[str(annotation)]
    if isinstance(value, bool) and bool not in allowed:
        allowed = ()
    if not isinstance(value, allowed):
        raise ConfigError(f"{source}: {name} has the wrong type ({type(value).__name__})")


def parse_master(text: str) -> tuple[str, int]:
    """``HOST``, ``HOST:PORT`` or ``[IPV6]:PORT`` as (host, port); port 9989 by default."""
    text = text.strip()
    if text.startswith("["):
        host, bracket, rest = text[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ConfigError(f"cannot read master address {text!r}; use HOST[:PORT]")
        port_text = rest[1:] if rest else ""
    elif text.count(":") > 1:
        host, port_text = text, ""  # a bare IPv6 address
    else:
        host, _, port_text = text.partition(":")
    if not host:
        raise ConfigError(f"master address {text!r} has no host; use HOST[:PORT]")
    if not port_text:
        return host, DEFAULT_PORT
    if not port_text.isdigit() or not 0 < int(port_text) < 65536:
        raise ConfigError(f"master port {port_text!r} is not a number between 1 and 65535")
    return host, int(port_text)


def parse_umask(text: str) -> int:
    """An octal umask: ``022``, ``0o22`` or ``22``."""
    digits = text.strip().lower().removeprefix("0o")
    try:
        value = int(digits, 8)
    except ValueError:
        raise ConfigError(f"umask {text!r} is not an octal number such as 022") from None
    if not 0 <= value <= 0o777:
        raise ConfigError(f"umask {text!r} is not between 000 and 777")
    return value


def config_path(basedir: Path) -> Path:
    return basedir / CONFIG_FILE


def load(basedir: Path) -> WorkerConfig:
    path = config_path(basedir)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"{basedir} is not a worker directory (no {CONFIG_FILE}); "
            "see marid-worker create-worker"
        ) from None
    except OSError as error:
        raise ConfigError(f"cannot read {path}: {error.strerror}") from None
    return WorkerConfig.from_json(text, str(path))


def save(basedir: Path, config: WorkerConfig) -> Path:
    """Write the config atomically, readable by its owner only (it holds the password)."""
    path = config_path(basedir)
    tmp = path.with_name(f".{CONFIG_FILE}.{os.getpid()}")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(config.to_json())
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return path
