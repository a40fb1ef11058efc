"""Force form fields that hold other fields or name their own property.

``NestedParameter`` groups fields (``layout`` ``vertical``, ``simple`` or
``tabs``; ``columns`` 1 to 4, by default 2 when four or more children are
visible). Its value is a dict of its children's values, stored as the
property named after the nest; a nest with an empty name spreads its
children into the properties instead. Each child's ``fullName`` is prefixed
with the nest's ``fullName`` and ``_``.

``CodebaseParameter`` is a nest whose children (``branch``, ``project``,
``repository``, ``revision``) make the source stamp of one codebase, not a
property. ``c['validation']``'s ``branch`` and ``revision`` patterns apply to
those values, because they end up on worker command lines.

``AnyPropertyParameter`` lets the user choose a property's name as well as
its value (posted as ``<fullName>_name`` and ``<fullName>_value``), both
checked against ``c['validation']``.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

from marid.config.checks_base import is_int, type_name
from marid.config.errors import ErrorCollector
from marid.config.master_config import default_validation
from marid.process.renderables import call_and_await
from marid.schedulers.errors import ForceValidationError, ValidationError
from marid.schedulers.params_base import UNSET, BaseParameter, Kwargs, ValidationErrorCollector
from marid.schedulers.params_fields import FixedParameter, StringParameter

LAYOUTS = ("simple", "vertical", "tabs")

DefaultField: Any = object()
"""The default of ``CodebaseParameter``'s fields: a ``StringParameter`` labelled after it."""


class NestedParameter(BaseParameter):
    """A group of fields; its value is the dict of theirs."""

    type = "nested"
    spec_extra: ClassVar[tuple[str, ...]] = ("layout", "columns")
    layout: Any = "vertical"
    columns: Any = None

    def __init__(
        self, name: Any, fields: Any, *, layout: Any = UNSET, columns: Any = UNSET, **kw: Any
    ) -> None:
        super().__init__(name, **kw)
        self.fields = fields
        self.set_given(layout=layout, columns=columns)
        if self.columns is None:
            visible = [field for field in self.children() if not field.hide]
            self.columns = 2 if len(visible) >= 4 else 1
        self.setParent(None)

    def children(self) -> list[BaseParameter]:
        if not isinstance(self.fields, list | tuple):
            return []
        return [field for field in self.fields if isinstance(field, BaseParameter)]

    def leaves(self) -> Iterator[BaseParameter]:
        """Every field below this nest that is not itself a nest."""
        for field in self.children():
            if isinstance(field, NestedParameter):
                yield from field.leaves()
            else:
                yield field

    def setParent(self, parent: BaseParameter | None) -> None:
        super().setParent(parent)
        for field in self.children():
            field.setParent(self)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "fields": [field.to_json() for field in self.children()]}

    async def collect_children(
        self, kwargs: Kwargs, collector: ValidationErrorCollector, **context: Any
    ) -> dict[str, Any]:
        """The children's values by name; a failing child's message goes to ``collector``."""
        values: dict[str, Any] = {}
        for field in self.children():
            await collector.collect(
                field.fullName, field.updateFromKwargs, values, kwargs, collector, **context
            )
        return values

    async def updateFromKwargs(
        self,
        properties: dict[str, Any],
        kwargs: Kwargs,
        collector: ValidationErrorCollector,
        **context: Any,
    ) -> None:
        values = await self.collect_children(kwargs, collector, **context)
        if self.name:
            properties.setdefault(self.name, {}).update(values)
        else:
            properties.update(values)

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        what = f"{type(self).__name__} {self.name!r}"
        if not isinstance(self.fields, list | tuple):
            errors.add(f"{what}: fields must be a list of parameters", about=self)
        else:
            for number, field in enumerate(self.fields, start=1):
                if not isinstance(field, BaseParameter):
                    errors.add(f"{what}: field #{number} is not a parameter: {field!r}", about=self)
        if self.layout not in LAYOUTS:
            errors.add(f"{what}: layout must be one of {LAYOUTS}, not {self.layout!r}", about=self)
        if not (is_int(self.columns) and 1 <= self.columns <= 4):
            errors.add(f"{what}: columns must be 1, 2, 3 or 4, not {self.columns!r}", about=self)
        for field in self.children():
            field.check_config(errors)


class CodebaseParameter(NestedParameter):
    """The source stamp of one codebase: branch, project, repository and revision fields.

    Each field may be a parameter, a str (a ``FixedParameter`` with that
    value), None (no field) or left out (a text box).
    """

    def __init__(
        self,
        codebase: Any,
        name: Any = None,
        label: Any = None,
        branch: Any = DefaultField,
        revision: Any = DefaultField,
        repository: Any = DefaultField,
        project: Any = DefaultField,
        patch: Any = None,
        **kw: Any,
    ) -> None:
        self.codebase = codebase
        self.patch = patch
        if label is None and codebase:
            label = f"Codebase: {codebase}"
        given = {
            "branch": branch,
            "project": project,
            "repository": repository,
            "revision": revision,
        }
        fields: list[Any] = []
        for key in sorted(given):
            value = given[key]
            if value is DefaultField:
                value = StringParameter(name=key, label=f"{key.capitalize()}:")
            elif isinstance(value, str):
                value = FixedParameter(name=key, default=value)
            if value is not None:
                fields.append(value)
        kw.setdefault("columns", 1)
        super().__init__(name or codebase, fields, label=label, **kw)

    def createSourcestamp(self, properties: dict[str, Any], values: dict[str, Any]) -> Any:
        """The stamp fields from the children's values (a hook: return None for no stamp)."""
        return dict(values)

    async def updateFromKwargs(
        self,
        properties: dict[str, Any],
        kwargs: Kwargs,
        collector: ValidationErrorCollector,
        **context: Any,
    ) -> None:
        values = await self.collect_children(kwargs, collector, **context)
        stamp = await call_and_await(self.createSourcestamp, properties, values)
        if stamp is None:
            return
        rules: Mapping[str, Any] = context.get("validation") or default_validation()
        problems: dict[str, str] = {}
        for child in self.children():
            value, rule = stamp.get(child.name), rules.get(child.name)
            if rule is not None and isinstance(value, str) and not rule.match(value):
                problems[child.fullName or child.name] = (
                    f"{value!r} is not an accepted {child.name}"
                )
        if problems:
            raise ForceValidationError(problems)
        context["sourcestamps"][self.codebase] = stamp

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not isinstance(self.codebase, str):
            errors.add(
                f"CodebaseParameter: codebase must be a str, not {self.codebase!r}", about=self
            )
        if self.patch is not None:
            errors.add(
                f"CodebaseParameter {self.codebase!r}: patch uploads are not supported yet",
                about=self,
            )


def _first(values: list[Any] | None, what: str) -> str:
    if not values or values[0] is None:
        return ""
    value = values[0]
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValidationError(f"the property's {what} must be a string, not {type_name(value)}")
    return str(value)


class AnyPropertyParameter(BaseParameter):
    """A property whose name the user types too; kept only when the name is not empty."""

    type = "anyproperty"

    def getFromKwargs(self, kwargs: Kwargs) -> Any:
        raise ValidationError("AnyPropertyParameter can only be used in properties")

    async def updateFromKwargs(
        self,
        properties: dict[str, Any],
        kwargs: Kwargs,
        collector: ValidationErrorCollector,
        **context: Any,
    ) -> None:
        name = _first(kwargs.get(f"{self.fullName}_name"), "name").strip()
        value = _first(kwargs.get(f"{self.fullName}_value"), "value")
        if not name:
            return
        rules: Mapping[str, Any] = context.get("validation") or default_validation()
        if not rules["property_name"].match(name):
            raise ValidationError(f"{name!r} is not an accepted property name")
        if not rules["property_value"].match(value):
            raise ValidationError(f"property {name!r}: {value!r} is not an accepted value")
        properties[name] = value
