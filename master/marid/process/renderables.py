"""Renderables: config values that take their real value only when a step starts.

A renderable is any object with a ``getRenderingFor(props)`` method; the
method may be ``async``, return a Deferred, or return the value directly.
Subclassing ``Renderable`` is the typed way to write one, but any object
with that method is accepted, so renderables written for Buildbot (which
declare ``IRenderable`` with zope) keep working.

``render(value, props)`` is the single entry point: it renders a renderable,
then renders what that produced (a ``@renderer`` may return a list of
``Interpolate``), and walks lists, tuples and dicts (keys and values),
leaving every other value as it is.

The renderables here (``Property``, ``@renderer``, ``Transform``,
``FlattenList``; ``Interpolate`` and ``WithProperties`` live in
``interpolate.py``) are ``ConfigObject``s: they record the line of
``master.cfg`` that built them and report bad arguments through
``check_config``. ``check_renderables`` walks a step argument and checks
every config object in it; steps call it from their own ``check_config``.
A failure while rendering raises ``RenderError`` with a message naming the
renderable.
"""

from __future__ import annotations

import inspect
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from marid.config.origin import ConfigObject

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector
    from marid.process.properties import IProperties

MAX_RENDER_DEPTH = 50
"""How many times a rendering may produce another renderable before we call it a loop."""


class RenderError(Exception):
    """A renderable could not produce its value; the message says which one and why."""


class Renderable(ABC):
    """Base class for custom renderables: implement ``getRenderingFor``."""

    @abstractmethod
    async def getRenderingFor(self, props: IProperties) -> Any:
        """The value this renderable stands for, given the build's properties."""


def is_renderable(obj: object) -> bool:
    """True for ``Renderable`` instances and any other object with ``getRenderingFor``."""
    if isinstance(obj, Renderable):
        return True
    if isinstance(obj, type):  # the class of a renderable is not itself one
        return False
    return callable(getattr(obj, "getRenderingFor", None))


async def render(value: Any, props: IProperties) -> Any:
    """``value`` with every renderable in it, at any depth of lists, tuples and dicts, rendered."""
    return await _render(value, props, 0)


async def _render(value: Any, props: IProperties, depth: int) -> Any:
    if is_renderable(value):
        if depth >= MAX_RENDER_DEPTH:
            raise RenderError(
                f"{value!r} kept producing renderables {MAX_RENDER_DEPTH} times over; "
                "does it return itself?"
            )
        rendered = await call_and_await(value.getRenderingFor, props)
        return await _render(rendered, props, depth + 1)
    if isinstance(value, list):
        return [await _render(item, props, depth) for item in value]
    if isinstance(value, tuple):
        items = [await _render(item, props, depth) for item in value]
        if hasattr(value, "_fields"):  # a namedtuple keeps its type
            return type(value)(*items)
        return tuple(items)
    if isinstance(value, dict):
        return {
            await _render(key, props, depth): await _render(item, props, depth)
            for key, item in value.items()
        }
    return value


async def call_and_await(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Call ``function`` and await its result if it is a coroutine or a Deferred."""
    result = function(*args, **kwargs)
    if inspect.isawaitable(result):
        result = await result
    return result


def check_renderables(value: Any, errors: ErrorCollector) -> None:
    """Run ``check_config`` on every config object inside ``value`` (lists, tuples, dicts)."""
    _check(value, errors, set())


def _check(value: Any, errors: ErrorCollector, seen: set[int]) -> None:
    if id(value) in seen:
        return
    if isinstance(value, ConfigObject):
        seen.add(id(value))
        value.check_config(errors)
    elif isinstance(value, list | tuple | dict):
        seen.add(id(value))
        items = [*value.keys(), *value.values()] if isinstance(value, dict) else value
        for item in items:
            _check(item, errors, seen)


class Property(ConfigObject, Renderable):
    """The value of one property; ``default`` when it is missing (or false, by default).

    With ``defaultWhenFalse=True`` a property that is set but false (``""``,
    0, ``[]``, None) also gives ``default``; with False only a missing one
    does. ``default`` may itself be a renderable.
    """

    def __init__(self, name: str, default: Any = None, defaultWhenFalse: bool = True) -> None:
        self.name = name
        self.default = default
        self.defaultWhenFalse = defaultWhenFalse

    async def getRenderingFor(self, props: IProperties) -> Any:
        if self.defaultWhenFalse:
            value = props.getProperty(self.name)
            return value if value else self.default
        if props.hasProperty(self.name):
            return props.getProperty(self.name)
        return self.default

    def check_config(self, errors: ErrorCollector) -> None:
        if not isinstance(self.name, str) or not self.name:
            errors.add(f"Property needs a property name, not {self.name!r}", about=self)
        check_renderables(self.default, errors)

    def __repr__(self) -> str:
        return f"Property({self.name!r}, default={self.default!r})"


class FunctionRenderer(ConfigObject, Renderable):
    """What ``@renderer`` makes of a function: ``fn(props, *args, **kwargs)`` at render time."""

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...] = (),
        kwargs: dict[str, Any] | None = None,
    ) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = dict(kwargs or {})

    def withArgs(self, *args: Any, **kwargs: Any) -> FunctionRenderer:
        """A new renderer passing these extra arguments (rendered first) after the earlier ones."""
        return FunctionRenderer(self.fn, (*self.args, *args), {**self.kwargs, **kwargs})

    async def getRenderingFor(self, props: IProperties) -> Any:
        args = await render(list(self.args), props)
        kwargs = await render(self.kwargs, props)
        return await call_and_await(self.fn, props, *args, **kwargs)

    def check_config(self, errors: ErrorCollector) -> None:
        if not callable(self.fn):
            errors.add(f"renderer needs a function, not {self.fn!r}", about=self)
        check_renderables([self.args, self.kwargs], errors)

    def __repr__(self) -> str:
        return f"renderer({getattr(self.fn, '__qualname__', self.fn)!r})"


def renderer(fn: Callable[..., Any]) -> FunctionRenderer:
    """Decorator: call ``fn(props)`` (plain or async) when the step starts; use its result."""
    return FunctionRenderer(fn)


class Transform(ConfigObject, Renderable):
    """``function(*args, **kwargs)`` with the arguments (and the function) rendered first."""

    def __init__(self, function: Any, *args: Any, **kwargs: Any) -> None:
        self.function = function
        self.args = args
        self.kwargs = kwargs

    async def getRenderingFor(self, props: IProperties) -> Any:
        function = await render(self.function, props)
        if not callable(function):
            raise RenderError(f"{self!r}: the function rendered to {function!r}, not a callable")
        args = await render(list(self.args), props)
        kwargs = await render(self.kwargs, props)
        return await call_and_await(function, *args, **kwargs)

    def check_config(self, errors: ErrorCollector) -> None:
        if not callable(self.function) and not is_renderable(self.function):
            errors.add(
                f"Transform needs a callable or a renderable producing one, not {self.function!r}",
                about=self,
            )
        check_renderables([self.function, self.args, self.kwargs], errors)

    def __repr__(self) -> str:
        return f"Transform({getattr(self.function, '__qualname__', self.function)!r}, ...)"


class FlattenList(ConfigObject, Renderable):
    """``nested`` rendered, then flattened: items of ``types`` are spliced in, at any depth.

    A rendering that is not itself one of ``types`` is returned as it is.
    """

    def __init__(self, nested: Any, types: tuple[type, ...] | type = (list, tuple)) -> None:
        self.nested = nested
        self.types = types if isinstance(types, tuple) else (types,)

    async def getRenderingFor(self, props: IProperties) -> Any:
        value = await render(self.nested, props)
        if not isinstance(value, self.types):
            return value
        return self._flatten(value)

    def _flatten(self, items: Any) -> list[Any]:
        flat: list[Any] = []
        for item in items:
            if isinstance(item, self.types):
                flat.extend(self._flatten(item))
            else:
                flat.append(item)
        return flat

    def check_config(self, errors: ErrorCollector) -> None:
        if not all(isinstance(kind, type) for kind in self.types):
            errors.add(f"FlattenList types must be classes, not {self.types!r}", about=self)
        check_renderables(self.nested, errors)

    def __repr__(self) -> str:
        return f"FlattenList({self.nested!r})"
