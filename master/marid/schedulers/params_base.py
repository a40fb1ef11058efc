"""What every force form field shares: ``BaseParameter`` and the ``ValidationErrorCollector``.

Each parameter describes one form field (``to_json()``, the shape the web UI
draws from) and turns what the form posted into a property value. The posted
values arrive as ``{fullName: [value, ...]}``; a field nested in a
``NestedParameter`` named ``options`` has the ``fullName`` ``options_<name>``
(Buildbot joins with ``_``, so the UI's field names work unchanged), and a
nest with an empty name adds nothing.

The customisation points keep Buildbot's names, so custom parameters written
for Buildbot carry over: ``getFromKwargs(kwargs)`` returns the value,
``parse_from_args(values)`` / ``parse_from_arg(value)`` convert it, and
``updateFromKwargs(properties, kwargs, collector, **context)`` stores it.
A bad value raises ``ValidationError``; the ``ValidationErrorCollector``
gathers one message per field so that a form shows every problem at once.
A posted value must be one of the field's ``posted_types`` (JSON scalars by
default, only strings for text fields): a list or object where a text is
expected is refused rather than stored as its ``repr``.

The field types are in ``params_fields`` and ``params_nested``;
``forceparams`` is the public module that gathers them.
"""

from __future__ import annotations

import inspect
import json
import re
from collections.abc import Callable, Mapping
from typing import Any, ClassVar

from marid.config.checks_base import is_int, suggestion, type_name
from marid.config.errors import ErrorCollector
from marid.config.origin import ConfigObject
from marid.process.renderables import call_and_await
from marid.schedulers.errors import ForceValidationError, ValidationError

Kwargs = Mapping[str, list[Any]]

SPEC_KEYS = (
    "name",
    "fullName",
    "label",
    "tablabel",
    "type",
    "default",
    "required",
    "multiple",
    "regex",
    "hide",
    "maxsize",
    "autopopulate",
    "tooltip",
)
RESERVED_NAMES = frozenset({"owner", "builderNames", "builderid"})
EMAIL = re.compile(r"[^\s<>@,;]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+")
UNSET: Any = object()
"""The default of arguments that, when not given, keep the class attribute's value."""


class ValidationErrorCollector:
    """Runs parameter code and keeps one message per failing field, by ``fullName``."""

    def __init__(self) -> None:
        self.errors: dict[str, str] = {}

    async def collect(self, name: str | None, fn: Callable[..., Any], *args: Any, **kw: Any) -> Any:
        try:
            return await call_and_await(fn, *args, **kw)
        except ForceValidationError as error:
            self.errors.update(error.errors)
        except ValueError as error:  # ValidationError, and the ValueErrors of custom parsers
            self.errors[name or ""] = str(error)
        return None

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ForceValidationError(self.errors)


class BaseParameter(ConfigObject):
    """One field: Buildbot's common arguments and the default parsing of posted values."""

    type: ClassVar[str] = ""
    posted_types: ClassVar[tuple[Any, ...]] = (str, int, float, bool)
    posted_description: ClassVar[str] = "a string, a number or true/false"
    spec_extra: ClassVar[tuple[str, ...]] = ()
    """Keys a subclass adds to ``to_json()`` (combined over the base classes)."""

    default: Any = ""
    required: bool = False
    multiple: bool = False
    hide: bool = False
    maxsize: Any = None
    autopopulate: Any = None
    tooltip: Any = ""
    parentName: str | None = None

    def __init__(
        self,
        name: Any,
        label: Any = None,
        tablabel: Any = None,
        regex: Any = None,
        *,
        default: Any = UNSET,
        required: Any = UNSET,
        multiple: Any = UNSET,
        hide: Any = UNSET,
        maxsize: Any = UNSET,
        autopopulate: Any = UNSET,
        tooltip: Any = UNSET,
        **unknown: Any,
    ) -> None:
        self.name = name
        self.label = name if label is None else label
        self.tablabel = self.label if tablabel is None else tablabel
        self.regex = regex
        self.unknown_arguments = unknown
        self.set_given(
            default=default,
            required=required,
            multiple=multiple,
            hide=hide,
            maxsize=maxsize,
            autopopulate=autopopulate,
            tooltip=tooltip,
        )

    def set_given(self, **values: Any) -> None:
        """Set the arguments that were given; the others keep the class's defaults."""
        for key, value in values.items():
            if value is not UNSET:
                setattr(self, key, value)

    @property
    def fullName(self) -> str | None:
        """The field's name in the posted form: ``<parent>_<name>``, or whichever is set."""
        if self.parentName and self.name:
            return f"{self.parentName}_{self.name}"
        return self.name or self.parentName

    def setParent(self, parent: BaseParameter | None) -> None:
        self.parentName = parent.fullName if parent is not None else None

    @property
    def pattern(self) -> re.Pattern[str] | None:
        return re.compile(self.regex) if self.regex else None

    # -- the form description ------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        keys = list(SPEC_KEYS)
        for klass in reversed(type(self).__mro__):
            keys.extend(klass.__dict__.get("spec_extra", ()))
        spec = {key: getattr(self, key) for key in keys}
        pattern = self.pattern
        spec["regex"] = pattern.pattern if pattern is not None else None
        return spec

    # -- posted values -----------------------------------------------------------------

    def getFromKwargs(self, kwargs: Kwargs) -> Any:
        """The value of this field: posted (or default), checked, then parsed."""
        values = [
            v
            for v in kwargs.get(self.fullName or "", [])
            if not (isinstance(v, str) and not v.strip()) and v is not None
        ]
        for value in values:
            if not isinstance(value, self.posted_types):
                raise ValidationError(f"must be {self.posted_description}, not {type_name(value)}")
        if not values:
            if self.required:
                raise ValidationError("a value is required")
            default = self.default
            values = list(default) if self.multiple and isinstance(default, list) else [default]
        pattern = self.pattern
        if pattern is not None:
            for value in values:
                if not isinstance(value, str) or not pattern.match(value):
                    raise ValidationError(
                        f"{value!r} does not match the pattern {pattern.pattern!r}"
                    )
        if self.maxsize is not None:
            for value in values:
                size = len(str(value).encode("utf-8"))
                if size > self.maxsize:
                    raise ValidationError(f"{size} bytes, more than the {self.maxsize} allowed")
        result = self.parse_from_args(values)
        if result is None:
            raise ValidationError("no value given and no default configured")
        return result

    def parse_from_args(self, values: list[Any]) -> Any:
        if self.multiple:
            return [self.parse_from_arg(value) for value in values]
        return self.parse_from_arg(values[0])

    def parse_from_arg(self, value: Any) -> Any:
        return value

    async def updateFromKwargs(
        self,
        properties: dict[str, Any],
        kwargs: Kwargs,
        collector: ValidationErrorCollector,
        **context: Any,
    ) -> None:
        """Store this field's value in ``properties`` under its name."""
        properties[self.name] = await call_and_await(self.getFromKwargs, kwargs)

    # -- configuration -----------------------------------------------------------------

    def check_config(self, errors: ErrorCollector) -> None:
        what = f"{type(self).__name__} {self.name!r}"
        for argument in self.unknown_arguments:
            known = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
            known += ["label", "tablabel", "regex", "default", "required", "multiple", "hide"]
            known += ["maxsize", "autopopulate", "tooltip"]
            errors.add(
                f"{what}: unknown argument {argument!r}{suggestion(argument, known)}", about=self
            )
        if not isinstance(self.name, str):
            errors.add(f"{what}: the name must be a str, not {type_name(self.name)}", about=self)
        elif self.name in RESERVED_NAMES:
            errors.add(f"{what}: {self.name!r} is reserved; choose another name", about=self)
        for key in ("label", "tablabel", "tooltip"):
            if not isinstance(getattr(self, key), str):
                errors.add(f"{what}: {key} must be a str, not {getattr(self, key)!r}", about=self)
        if self.regex is not None:
            try:
                re.compile(self.regex)
            except (re.error, TypeError) as error:
                errors.add(f"{what}: regex {self.regex!r} does not compile: {error}", about=self)
        if self.maxsize is not None and not (is_int(self.maxsize) and self.maxsize > 0):
            errors.add(f"{what}: maxsize must be a positive int, not {self.maxsize!r}", about=self)
        if self.autopopulate is not None and not isinstance(self.autopopulate, dict):
            errors.add(
                f"{what}: autopopulate must be a dict, not {self.autopopulate!r}", about=self
            )
        try:
            json.dumps(self.default)
        except (TypeError, ValueError):
            errors.add(f"{what}: the default {self.default!r} is not a JSON value", about=self)
