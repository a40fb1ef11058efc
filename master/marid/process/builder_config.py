"""``util.BuilderConfig``: one builder of a ``master.cfg``, with Buildbot's arguments.

The constructor only stores its arguments; ``check_config`` reports every
problem with the line that built the builder. ``workername`` (one) and
``workernames`` (several) are merged into ``workernames``. Without
``builddir`` the builder's directory on the master and the worker is its name
made safe for a file system; ``workerbuilddir`` defaults to ``builddir``.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from marid.config.errors import ErrorCollector
from marid.config.origin import ConfigObject
from marid.process.locks import BaseLock, LockAccess

_UNSAFE = re.compile(r"[^\w.\-]")


def safe_dirname(name: str) -> str:
    """``name`` as a directory name: characters other than letters, digits, ``._-`` become ``_``."""
    cleaned = _UNSAFE.sub("_", name).strip(".")
    return cleaned or "_"


class BuilderConfig(ConfigObject):
    def __init__(
        self,
        name: str | None = None,
        workername: str | None = None,
        workernames: list[str] | str | None = None,
        builddir: str | None = None,
        workerbuilddir: str | None = None,
        factory: Any = None,
        tags: list[str] | None = None,
        locks: list[Any] | None = None,
        env: dict[str, Any] | None = None,
        properties: dict[str, Any] | None = None,
        defaultProperties: dict[str, Any] | None = None,
        collapseRequests: bool | Callable[..., Any] | None = None,
        nextWorker: Callable[..., Any] | None = None,
        nextBuild: Callable[..., Any] | None = None,
        canStartBuild: Callable[..., Any] | None = None,
        description: str | None = None,
        description_format: str | None = None,
        project: str | None = None,
    ):
        self.name = name
        names: list[Any] = []
        if workername is not None:
            names.append(workername)
        if isinstance(workernames, str):
            names.append(workernames)
        elif workernames is not None:
            names.extend(workernames)
        self.workernames = names
        self.builddir = builddir if builddir is not None else safe_dirname(name or "")
        self.workerbuilddir = workerbuilddir if workerbuilddir is not None else self.builddir
        self.factory = factory
        self.tags = list(tags or [])
        self.locks = list(locks or [])
        self.env = dict(env or {})
        self.properties = dict(properties or {})
        self.defaultProperties = dict(defaultProperties or {})
        self.collapseRequests = collapseRequests
        self.nextWorker = nextWorker
        self.nextBuild = nextBuild
        self.canStartBuild = canStartBuild
        self.description = description
        self.description_format = description_format
        self.project = project

    def check_config(self, errors: ErrorCollector) -> None:
        def bad(message: str) -> None:
            errors.add(f"builder {self.name!r}: {message}", key="builders", about=self)

        if not isinstance(self.name, str) or not self.name:
            errors.add("a builder needs a non-empty name", key="builders", about=self)
        if not self.workernames:
            bad("needs at least one worker (workername= or workernames=)")
        for name in self.workernames:
            if not isinstance(name, str):
                bad(f"worker names must be strings, not {type(name).__name__}")
        if len(set(self.workernames)) != len(self.workernames):
            bad("lists the same worker twice")
        if self.factory is None:
            bad("needs a factory (util.BuildFactory())")
        elif not callable(getattr(self.factory, "addStep", None)):
            bad(f"factory must be a util.BuildFactory, not {type(self.factory).__name__}")
        for tag in self.tags:
            if not isinstance(tag, str):
                bad(f"tags must be strings, not {type(tag).__name__}")
        for label, value in (
            ("properties", self.properties),
            ("defaultProperties", self.defaultProperties),
        ):
            for key in value:
                if not isinstance(key, str):
                    bad(f"{label} names must be strings, not {type(key).__name__}")
        for label, fn in (
            ("nextWorker", self.nextWorker),
            ("nextBuild", self.nextBuild),
            ("canStartBuild", self.canStartBuild),
        ):
            if fn is not None and not callable(fn):
                bad(f"{label} must be callable")
        if self.collapseRequests is not None and not (
            isinstance(self.collapseRequests, bool) or callable(self.collapseRequests)
        ):
            bad("collapseRequests must be True, False, None or a callable")
        if self.description_format not in (None, "markdown"):
            bad("description_format must be None or 'markdown'")
        for label, path in (("builddir", self.builddir), ("workerbuilddir", self.workerbuilddir)):
            if not isinstance(path, str) or not path:
                bad(f"{label} must be a non-empty string")
        for lock in self.locks:
            if not isinstance(lock, LockAccess | BaseLock):
                bad(f"locks must be lock.access(...) or locks, not {lock!r}")
        if isinstance(self.factory, ConfigObject):
            self.factory.check_config(errors)
