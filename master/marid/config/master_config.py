"""``MasterConfig``: the typed, validated, normalised result of loading ``master.cfg``.

Every field has a default, so ``MasterConfig.defaults(basedir)`` is a complete
configuration that runs nothing. Field names are the snake_case of Buildbot's
keys (``c['buildbotURL']`` is ``buildbot_url``); values are normalised (ports
are endpoint strings, ``change_source`` is always a list, ...). Objects whose
subsystems own their meaning (workers, builders, schedulers, ...) are carried
as the config built them; their types are ``Any`` because this layer only
duck-types them.

A ``MasterConfig`` is built once per load and then treated as immutable; a
reconfig builds a new one and compares (``marid.config.diff``).
"""

from __future__ import annotations

import os
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Literal

DEFAULT_DB_URL = "sqlite:///state.sqlite"
DEFAULT_PB_PORT = "tcp:9989:interface=127.0.0.1"
DEFAULT_WWW_PORT = "tcp:8010:interface=127.0.0.1"
DEFAULT_REDIS_URL = "redis://localhost:6379/0"

LogCompression = Literal["raw", "zlib", "zstd"]


def default_caches() -> dict[str, int]:
    return {"Builds": 15, "Changes": 10}


def default_validation() -> dict[str, re.Pattern[str]]:
    """What force forms and the API accept for user-supplied names and values."""
    return {
        "branch": re.compile(r"^[\w.+/~@-]*$"),
        "revision": re.compile(r"^[\w .+/~@-]*$"),
        "property_name": re.compile(r"^[\w.:/~-]*$"),
        "property_value": re.compile(r"^[\w.:/~@+ -]*$"),
    }


@dataclass
class WwwConfig:
    """``c['www']``: the web server, REST API and UI."""

    port: str | None = DEFAULT_WWW_PORT
    allowed_origins: list[str] = field(default_factory=list)
    ws_ping_interval: float = 0
    json_cache_seconds: int = 0
    auth: Any = None
    authz: Any = None
    avatar_methods: list[Any] = field(default_factory=list)
    plugins: dict[str, Any] = field(default_factory=dict)
    change_hook_dialects: dict[str, Any] = field(default_factory=dict)
    change_hook_auth: list[str] | None = None
    debug: bool = False
    custom_templates_dir: str | None = None
    logfile_name: str | None = "http.log"
    log_rotate_length: int | None = None
    max_rotated_files: int | None = None
    default_page: str | None = None
    rest_minimum_version: int = 2
    versions: list[tuple[str, str]] = field(default_factory=list)
    cookie_expiration_time: timedelta = timedelta(weeks=1)
    ui_default_config: dict[str, Any] = field(default_factory=dict)
    theme: dict[str, Any] = field(default_factory=dict)
    # What one HTTP request may hold (413, 414, 431 and 400 beyond; docs/rest-api.md).
    max_request_body: int = 4 * 1024 * 1024
    max_url_length: int = 8 * 1024
    max_header_size: int = 16 * 1024
    max_json_depth: int = 64
    max_reason_length: int = 10_000
    max_field_length: int = 64 * 1024
    # Proxies whose X-Forwarded-For names the client (addresses or networks).
    trusted_proxies: list[str] = field(default_factory=list)


@dataclass
class MqConfig:
    """``c['mq']``: the message queue between data updates and their consumers."""

    type: Literal["simple", "redis"] = "simple"
    debug: bool = False
    redis_url: str = DEFAULT_REDIS_URL
    channel_prefix: str = "marid"


@dataclass
class MasterConfig:
    """The whole validated configuration of one master."""

    basedir: str = "."
    config_file: str = "master.cfg"

    # Metadata shown in the web UI and used to build links.
    title: str = "Marid"
    title_url: str | None = None
    buildbot_url: str = "http://localhost:8010/"

    # Listeners and storage.
    pb_port: str | None = DEFAULT_PB_PORT
    protocols: dict[str, dict[str, Any]] = field(
        default_factory=lambda: {"pb": {"port": DEFAULT_PB_PORT}}
    )
    www: WwwConfig = field(default_factory=WwwConfig)
    db_url: str = DEFAULT_DB_URL
    db_engine_kwargs: dict[str, Any] = field(default_factory=dict)
    # Seconds one database call may wait for locks or a connection before it fails.
    db_timeout: float = 10.0
    mq: MqConfig = field(default_factory=MqConfig)
    multi_master: bool = False

    # Objects owned by later subsystems, checked here for shape only.
    workers: list[Any] = field(default_factory=list)
    builders: list[Any] = field(default_factory=list)
    schedulers: list[Any] = field(default_factory=list)
    change_source: list[Any] = field(default_factory=list)
    services: list[Any] = field(default_factory=list)
    secrets_providers: list[Any] = field(default_factory=list)
    user_managers: list[Any] = field(default_factory=list)
    configurators: list[Any] = field(default_factory=list)
    manhole: Any = None

    # Build behaviour.
    properties: dict[str, Any] = field(default_factory=dict)
    collapse_requests: bool | Callable[..., Any] = True
    prioritize_builders: Callable[..., Any] | None = None
    codebase_generator: Callable[..., Any] | None = None
    revlink: Callable[..., Any] | None = None
    validation: dict[str, re.Pattern[str]] = field(default_factory=default_validation)

    # Logs.
    log_compression: LogCompression = "zstd"
    log_compression_limit: int = 4096
    log_encoding: str = "utf-8"
    log_max_size: int | None = None
    log_max_tail_size: int | None = None

    # Housekeeping.
    caches: dict[str, int] = field(default_factory=default_caches)
    build_horizon: int | None = None
    log_horizon: int | None = None
    event_horizon: int | None = None
    change_horizon: int | None = None

    @classmethod
    def defaults(cls, basedir: str, config_file: str | None = None) -> MasterConfig:
        """The configuration of an empty ``master.cfg`` in ``basedir``."""
        if config_file is None:
            config_file = os.path.join(basedir, "master.cfg")
        return cls(basedir=basedir, config_file=config_file)

    @property
    def www_port(self) -> str | None:
        """The web server's endpoint description; None when the web server is off."""
        return self.www.port
