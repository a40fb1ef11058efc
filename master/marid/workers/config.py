"""``worker.Worker`` and ``worker.LocalWorker``: the worker entries of ``c['workers']``.

The constructors take Buildbot's arguments, in Buildbot's order, and only
store them; ``check_config`` reports every problem at the line that built the
worker. The normalised views (``notify_addresses``, ``all_properties``, ...)
are what the worker manager reads, so the raw attributes stay exactly as the
user wrote them and a reconfig compares like with like.

Buildbot arguments that Marid accepts but does not act on yet (``locks``,
``machine_name``) are kept so that a migrated config loads unchanged.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping
from typing import Any

from marid.config.checks_base import suggestion, type_name
from marid.config.errors import ErrorCollector
from marid.config.origin import ConfigObject

DEFAULT_KEEPALIVE_INTERVAL = 3600
DEFAULT_MISSING_TIMEOUT = 3600
DEFAULT_MAX_BUILDER_REFERENCES = 1000

_OPTIONS = (
    "max_builds",
    "notify_on_missing",
    "missing_timeout",
    "properties",
    "defaultProperties",
    "locks",
    "keepalive_interval",
    "machine_name",
    "max_builder_references",
)


def _is_number(value: object) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


class AbstractWorker(ConfigObject):
    """What every kind of worker is configured with; subclasses add how it connects."""

    def __init__(
        self,
        name: Any,
        *,
        max_builds: Any = None,
        notify_on_missing: Any = None,
        missing_timeout: Any = DEFAULT_MISSING_TIMEOUT,
        properties: Any = None,
        defaultProperties: Any = None,
        locks: Any = None,
        keepalive_interval: Any = DEFAULT_KEEPALIVE_INTERVAL,
        machine_name: Any = None,
        max_builder_references: Any = DEFAULT_MAX_BUILDER_REFERENCES,
        **unknown: Any,
    ) -> None:
        self.name = name
        self.max_builder_references = max_builder_references
        self.max_builds = max_builds
        self.notify_on_missing = notify_on_missing
        self.missing_timeout = missing_timeout
        self.properties = properties
        self.defaultProperties = defaultProperties
        self.locks = locks
        self.keepalive_interval = keepalive_interval
        self.machine_name = machine_name
        self.unknown_options = unknown

    # -- normalised views --------------------------------------------------------

    @property
    def password_bytes(self) -> bytes | None:
        """The secret a login must prove; None for workers that log in another way."""
        return None

    @property
    def notify_addresses(self) -> list[str]:
        """``notify_on_missing`` as a list of addresses."""
        if isinstance(self.notify_on_missing, str):
            return [self.notify_on_missing]
        return [str(a) for a in self.notify_on_missing or ()]

    @property
    def all_properties(self) -> dict[str, Any]:
        """``defaultProperties`` overridden by ``properties``."""
        return {**dict(self.defaultProperties or {}), **dict(self.properties or {})}

    @property
    def keepalive_seconds(self) -> float | None:
        """Seconds between master-to-worker keepalives; None disables them."""
        return float(self.keepalive_interval) if self.keepalive_interval else None

    @property
    def missing_seconds(self) -> float | None:
        """Seconds after a disconnect before the worker counts as missing; None: never."""
        return float(self.missing_timeout) if self.missing_timeout else None

    # -- checks ------------------------------------------------------------------

    def check_config(self, errors: ErrorCollector) -> None:
        def error(message: str) -> None:
            errors.add(f"{self._label()}: {message}", about=self)

        for option in self.unknown_options:
            error(f"unknown argument {option!r}{suggestion(option, self._known_options())}")
        if self.max_builds is not None and not (
            isinstance(self.max_builds, int)
            and not isinstance(self.max_builds, bool)
            and self.max_builds >= 1
        ):
            error(f"max_builds must be an int of at least 1 or None, not {self.max_builds!r}")
        for option in ("keepalive_interval", "missing_timeout"):
            value = getattr(self, option)
            if value is not None and not (_is_number(value) and value >= 0):
                error(f"{option} must be a number of seconds or None, not {value!r}")
        self._check_notify(error)
        for option in ("properties", "defaultProperties"):
            value = getattr(self, option)
            if value is None:
                continue
            if not isinstance(value, Mapping):
                error(f"{option} must be a dict, not {type_name(value)}")
            elif not all(isinstance(key, str) for key in value):
                error(f"{option} names must all be str")
        if self.locks is not None and not isinstance(self.locks, list | tuple):
            error(f"locks must be a list, not {type_name(self.locks)}")
        refs = self.max_builder_references
        if not (isinstance(refs, int) and not isinstance(refs, bool) and refs >= 1):
            error(f"max_builder_references must be an int of at least 1, not {refs!r}")
        if self.machine_name is not None and not isinstance(self.machine_name, str):
            error(f"machine_name must be a str or None, not {type_name(self.machine_name)}")

    def _check_notify(self, error: Any) -> None:
        value = self.notify_on_missing
        if value is None:
            return
        addresses = [value] if isinstance(value, str) else value
        if not isinstance(addresses, list | tuple) or not all(
            isinstance(a, str) for a in addresses
        ):
            error(f"notify_on_missing must be an address or a list of them, not {value!r}")
            return
        for address in addresses:
            if "@" not in address:
                error(f"notify_on_missing: {address!r} is not an email address")

    def _label(self) -> str:
        return f"{type(self).__name__} {self.name!r}"

    def _known_options(self) -> list[str]:
        return list(_OPTIONS)


class Worker(AbstractWorker):
    """A worker daemon (``marid-worker`` or ``buildbot-worker``) that connects over PB.

    ``Worker(name, password, max_builds=None, notify_on_missing=None,
    missing_timeout=3600, properties=None, defaultProperties=None, locks=None,
    keepalive_interval=3600, machine_name=None, max_builder_references=1000)``;
    the last is Marid's: see ``marid.workers.window``.
    """

    def __init__(
        self,
        name: Any,
        password: Any,
        max_builds: Any = None,
        notify_on_missing: Any = None,
        missing_timeout: Any = DEFAULT_MISSING_TIMEOUT,
        properties: Any = None,
        defaultProperties: Any = None,
        locks: Any = None,
        keepalive_interval: Any = DEFAULT_KEEPALIVE_INTERVAL,
        machine_name: Any = None,
        max_builder_references: Any = DEFAULT_MAX_BUILDER_REFERENCES,
        **unknown: Any,
    ) -> None:
        super().__init__(
            name,
            max_builds=max_builds,
            notify_on_missing=notify_on_missing,
            missing_timeout=missing_timeout,
            properties=properties,
            defaultProperties=defaultProperties,
            locks=locks,
            keepalive_interval=keepalive_interval,
            machine_name=machine_name,
            max_builder_references=max_builder_references,
            **unknown,
        )
        self.password = password

    @property
    def password_bytes(self) -> bytes | None:
        if isinstance(self.password, bytes):
            return self.password
        return str(self.password).encode("utf-8")

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not isinstance(self.password, str | bytes) or not self.password:
            shown = "an empty one" if self.password in ("", b"") else type_name(self.password)
            errors.add(
                f"{self._label()}: password must be a non-empty str, not {shown}", about=self
            )


class LocalWorker(AbstractWorker):
    """A worker that runs inside the master process: no password, no network.

    ``LocalWorker(name, workdir=None, **Worker options)``; ``workdir`` is the
    worker's base directory, by default ``<master basedir>/workers/<name>``.
    """

    def __init__(self, name: Any, workdir: Any = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.workdir = workdir

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if self.workdir is not None and not isinstance(self.workdir, str):
            errors.add(
                f"{self._label()}: workdir must be a str or None, not {type_name(self.workdir)}",
                about=self,
            )

    def _known_options(self) -> list[str]:
        return [*_OPTIONS, "workdir"]
