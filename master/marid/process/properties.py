"""Build properties: named JSON values, each remembering where it came from.

A build's ``Properties`` gathers values from the global config, the
scheduler, the changes, the builder, the worker and the steps; the last one
set wins. Every value must survive a round trip through JSON because
properties are stored in the database and shown in the API, so
``setProperty`` refuses anything else with a ``TypeError`` that names the
property.

The method names are camelCase (``getProperty``, ``setProperty``,
``hasProperty``, ...) on purpose: users' ``master.cfg`` files, custom steps
and ``@renderer`` functions written for Buildbot call these names, and
keeping them is what lets those files move over unchanged.

Renderables read more than properties: the source stamps, the worker's info
and the secrets of the running build. ``RenderContext`` carries those; the
step runtime fills ``Properties.render_context`` when a build starts, and
``Properties.secrets_used`` collects every secret value a rendering produced,
so the redaction point can remove them from all text leaving the build.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator, KeysView, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from marid.process.renderables import render

SecretLookup = Callable[[str], Awaitable[str | None]]
"""Fetches one secret by name; None when no provider knows it."""


@dataclass
class RenderContext:
    """What renderables may read about the running build besides its properties.

    The step runtime fills one per build:

    ``sourcestamps``
        codebase -> that source stamp's attributes (``repository``,
        ``branch``, ``revision``, ``project``, ``codebase``, ...), as the
        data API returns them. The default codebase is ``""``. Read by
        ``%(src:<codebase>:<attr>)s``.
    ``worker_info``
        the info the worker reported when it connected (``admin``, ``host``,
        ``access_uri``, ``version``, ...). Read by ``%(worker:<key>)s``.
    ``secrets``
        an async lookup through the configured secret providers. Read by
        ``%(secret:<name>)s``. Without it, rendering a secret fails.
    ``build``
        an opaque handle to the build for custom renderers; Marid's own
        renderables never read it.
    """

    sourcestamps: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    worker_info: Mapping[str, Any] = field(default_factory=dict)
    secrets: SecretLookup | None = None
    build: object | None = None


@runtime_checkable
class IProperties(Protocol):
    """What a renderable receives: ``Properties`` or anything that delegates to one."""

    @property
    def render_context(self) -> RenderContext: ...
    @property
    def secrets_used(self) -> set[str]: ...
    def getProperty(self, name: str, default: Any = None) -> Any: ...
    def hasProperty(self, name: str) -> bool: ...
    def getPropertySource(self, name: str) -> str: ...
    def setProperty(self, name: str, value: Any, source: str, runtime: bool = False) -> None: ...
    async def render(self, value: Any) -> Any: ...


def check_json(name: str, value: Any, source: str) -> None:
    """Raise ``TypeError`` naming the property if ``value`` cannot be stored as JSON."""
    try:
        json.dumps(value)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"property {name!r} from {source!r}: {type(value).__name__} value {value!r} "
            f"is not JSON-serialisable ({error}); properties hold only strings, numbers, "
            "booleans, None, lists and dicts"
        ) from None


class Properties:
    """A build's properties: name -> (value, source), plus the context renderables read.

    ``runtime`` holds the names set while the build runs (by steps), as
    opposed to those known when it started.
    """

    def __init__(
        self,
        values: Mapping[str, Any] | None = None,
        source: str = "",
        *,
        render_context: RenderContext | None = None,
    ) -> None:
        self._properties: dict[str, tuple[Any, str]] = {}
        self.runtime: set[str] = set()
        self.render_context = render_context if render_context is not None else RenderContext()
        self.secrets_used: set[str] = set()
        if values:
            self.update(values, source)

    @classmethod
    def from_dict(cls, properties: Mapping[str, tuple[Any, str]]) -> Properties:
        """Build from ``asDict()``'s shape, ``{name: (value, source)}`` (the database's)."""
        result = cls()
        for name, (value, source) in properties.items():
            result.setProperty(name, value, source)
        return result

    # Reading

    def getProperty(self, name: str, default: Any = None) -> Any:
        """The value of ``name``, or ``default`` when it is not set."""
        entry = self._properties.get(name)
        return default if entry is None else entry[0]

    def hasProperty(self, name: str) -> bool:
        return name in self._properties

    has_key = hasProperty  # Buildbot-era spelling, still found in configs

    def getPropertySource(self, name: str) -> str:
        """Where ``name`` was set; ``KeyError`` if it is not set."""
        return self._properties[name][1]

    def getProperties(self) -> Properties:
        """This object: builds and steps answer the same call with their properties."""
        return self

    def asList(self) -> list[tuple[str, Any, str]]:
        """``[(name, value, source), ...]`` in the order the names were first set."""
        return [(name, value, source) for name, (value, source) in self._properties.items()]

    def asDict(self) -> dict[str, tuple[Any, str]]:
        """``{name: (value, source)}``: the shape stored and returned by the API."""
        return dict(self._properties)

    def keys(self) -> KeysView[str]:
        return self._properties.keys()

    def __getitem__(self, name: str) -> Any:
        return self._properties[name][0]

    def __contains__(self, name: object) -> bool:
        return name in self._properties

    def __iter__(self) -> Iterator[str]:
        return iter(self._properties)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Properties):
            return NotImplemented
        return self._properties == other._properties and self.runtime == other.runtime

    __hash__ = None  # type: ignore[assignment]  # mutable, like dict

    def __repr__(self) -> str:
        values = ", ".join(f"{name}={value!r}" for name, (value, _) in self._properties.items())
        return f"Properties({values})"

    # Writing

    def setProperty(self, name: str, value: Any, source: str, runtime: bool = False) -> None:
        """Set ``name`` to ``value``, recording ``source``; ``runtime`` marks a step's doing."""
        if not isinstance(name, str):
            raise TypeError(f"property names are strings, not {type(name).__name__}: {name!r}")
        if not isinstance(source, str):
            raise TypeError(f"property {name!r}: the source must be a string, not {source!r}")
        check_json(name, value, source)
        self._properties[name] = (value, source)
        if runtime:
            self.runtime.add(name)
        else:
            self.runtime.discard(name)

    def update(self, values: Mapping[str, Any], source: str, runtime: bool = False) -> None:
        """Set every property in ``values``, all from ``source``."""
        for name, value in values.items():
            self.setProperty(name, value, source, runtime)

    def updateFromProperties(self, other: Properties) -> None:
        """Copy all of ``other``'s properties, keeping their sources and runtime marks."""
        for name, (value, source) in other._properties.items():
            self.setProperty(name, value, source, name in other.runtime)

    def updateFromPropertiesNoRuntime(self, other: Properties) -> None:
        """Copy those of ``other``'s properties that were not set at runtime."""
        for name, (value, source) in other._properties.items():
            if name not in other.runtime:
                self.setProperty(name, value, source)

    def copy(self) -> Properties:
        """An independent copy sharing the same render context."""
        result = Properties(render_context=self.render_context)
        result.updateFromProperties(self)
        return result

    # Rendering

    async def render(self, value: Any) -> Any:
        """``value`` with every renderable in it rendered against these properties."""
        return await render(value, self)
