"""Where a config object was made: the file and line of the user's code that built it.

``ConfigObject`` is the base class for everything a ``master.cfg`` constructs
(workers, builders, schedulers, steps, ...). At construction it records the
first stack frame outside the ``marid`` package, so an error about one worker
points at the line that created that worker, even when a helper module or a
loop built it. The record is taken in ``__new__``, so subclasses need not call
``super().__init__()``.

Invariant: the origin is bookkeeping, not configuration. It never takes part in
comparisons (see ``marid.config.diff``), so moving a line does not count as a
configuration change.
"""

from __future__ import annotations

import inspect
import os
from dataclasses import dataclass
from types import FrameType
from typing import TYPE_CHECKING, Any, ClassVar, Self

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector

ORIGIN_ATTRIBUTE = "_config_origin"
"""The instance attribute holding an ``Origin``; diffing ignores it."""

_MARID_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


@dataclass(frozen=True)
class Origin:
    """A place in a source file."""

    filename: str
    lineno: int

    def __str__(self) -> str:
        return f"{self.filename}:{self.lineno}"


def _is_internal(filename: str) -> bool:
    # Frozen importlib frames sit between a config and the helper module it imports.
    return filename.startswith(_MARID_DIR) or filename.startswith("<frozen ")


def caller_origin() -> Origin | None:
    """The nearest frame, starting at the caller's, that is not Marid's own code."""
    frame: FrameType | None = inspect.currentframe()
    frame = frame.f_back if frame is not None else None
    while frame is not None:
        if not _is_internal(frame.f_code.co_filename):
            return Origin(frame.f_code.co_filename, frame.f_lineno)
        frame = frame.f_back
    return None


def runtime_attributes(cls: type) -> frozenset[str]:
    """The ``runtime_attributes`` of ``cls`` and all its bases, plus the origin itself."""
    names = {ORIGIN_ATTRIBUTE}
    for klass in cls.__mro__:
        names.update(klass.__dict__.get("runtime_attributes", ()))
    return frozenset(names)


def origin_of(obj: object) -> Origin | None:
    """The recorded origin of ``obj``, or None for objects that do not record one."""
    origin = getattr(obj, ORIGIN_ATTRIBUTE, None)
    return origin if isinstance(origin, Origin) else None


class ConfigObject:
    """Base class for objects built in ``master.cfg``.

    Subclasses get ``config_origin`` for free and may override ``check_config``
    to report problems with their arguments. The loader calls ``check_config``
    on every top-level object it finds (workers, builders, schedulers, change
    sources, services, secret providers, user managers); an object that owns
    nested config objects (a builder's steps, say) calls theirs in turn.
    Constructors should store their arguments and leave the judging to
    ``check_config``, so that one load reports every mistake instead of
    stopping at the first exception.
    """

    _config_origin: Origin | None

    runtime_attributes: ClassVar[frozenset[str]] = frozenset()
    """Attributes that hold runtime state rather than configuration (a service's
    ``parent`` or ``running``, say). A reconfig compares objects attribute by
    attribute and skips these; the sets of all base classes are combined."""

    def __new__(cls, *args: Any, **kwargs: Any) -> Self:
        instance = super().__new__(cls)
        instance._config_origin = caller_origin()
        return instance

    @property
    def config_origin(self) -> Origin | None:
        """Where this object was constructed, if known."""
        return self._config_origin

    def check_config(self, errors: ErrorCollector) -> None:
        """Add an error to ``errors`` for each problem; the default finds none."""
