"""Configuration errors: what went wrong, where, and the collector that gathers them.

The hierarchy is small on purpose::

    Exception
     └── ConfigErrors        raised by ``load_config``; holds every ConfigError found

    ConfigError              one problem (a frozen dataclass, not an exception)

Checks never raise on the first problem: they add it to an ``ErrorCollector``
that the loader passes around, so one run reports everything. The collector
decides where an error points, in this order: an explicit file and line, the
origin recorded by the config object the error is about, the line in
``master.cfg`` where the key was set, and finally just the config file.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from marid.config.origin import Origin, origin_of


@dataclass(frozen=True)
class ConfigError:
    """One configuration problem and the place it points at."""

    message: str
    filename: str | None = None
    lineno: int | None = None
    key: str | None = None

    def __str__(self) -> str:
        parts: list[str] = []
        if self.filename is not None:
            parts.append(self.filename if self.lineno is None else f"{self.filename}:{self.lineno}")
        elif self.lineno is not None:
            parts.append(f"line {self.lineno}")
        if self.key is not None:
            parts.append(f"c[{self.key!r}]")
        parts.append(self.message)
        return ": ".join(parts)


class ConfigErrors(Exception):
    """The configuration cannot be used; ``errors`` lists every problem found."""

    def __init__(self, errors: Iterable[ConfigError]) -> None:
        self.errors: list[ConfigError] = list(errors)
        super().__init__(self.errors)

    def __str__(self) -> str:
        return "\n".join(str(error) for error in self.errors)


class ErrorCollector:
    """Gathers errors during one load; every check receives the same instance.

    ``config_file`` is the file errors point at when nothing better is known,
    and ``key_lines`` maps each top-level key to the line that set it.
    """

    def __init__(
        self, config_file: str | None = None, key_lines: Mapping[str, int] | None = None
    ) -> None:
        self.config_file = config_file
        self.key_lines: dict[str, int] = dict(key_lines or {})
        self.errors: list[ConfigError] = []

    def add(
        self,
        message: str,
        *,
        key: str | None = None,
        about: object = None,
        filename: str | None = None,
        lineno: int | None = None,
    ) -> None:
        """Record one error about ``key`` (and, if given, the config object ``about``)."""
        if filename is None and lineno is None:
            origin = origin_of(about) if about is not None else None
            filename, lineno = self._locate(key, origin)
        elif filename is None:
            filename = self.config_file
        self.errors.append(ConfigError(message, filename, lineno, key))

    def extend(self, errors: Iterable[ConfigError]) -> None:
        """Adopt errors found elsewhere (for instance raised by a config object)."""
        for error in errors:
            if error.filename is None and error.lineno is None:
                filename, lineno = self._locate(error.key, None)
                self.errors.append(ConfigError(error.message, filename, lineno, error.key))
            else:
                self.errors.append(error)

    def location_of(self, key: str | None = None, about: object = None) -> str:
        """``file:line`` for messages that point at a second place ("also defined at")."""
        origin = origin_of(about) if about is not None else None
        filename, lineno = self._locate(key, origin)
        if filename is None:
            return "an unknown place"
        return filename if lineno is None else f"{filename}:{lineno}"

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ConfigErrors(self.errors)

    def __len__(self) -> int:
        return len(self.errors)

    def _locate(self, key: str | None, origin: Origin | None) -> tuple[str | None, int | None]:
        if origin is not None:
            return origin.filename, origin.lineno
        if key is not None and key in self.key_lines:
            return self.config_file, self.key_lines[key]
        return self.config_file, None
