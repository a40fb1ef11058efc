"""The plain force form fields: text, numbers, check boxes, user names, choices, fixed values.

Each class sets its ``type`` (what the web UI draws) and the extra keys it
adds to ``to_json()``; parsing follows Buildbot's rules, with clearer messages.
"""

from __future__ import annotations

from typing import Any, ClassVar

from marid.config.checks_base import is_int
from marid.config.errors import ErrorCollector
from marid.data.bounds import OutOfRange, in_int64, parse_int64
from marid.schedulers.errors import ValidationError
from marid.schedulers.params_base import (
    EMAIL,
    UNSET,
    BaseParameter,
    Kwargs,
    ValidationErrorCollector,
)

_TRUE = frozenset({"true", "1", "yes", "on"})
_FALSE = frozenset({"false", "0", "no", "off", ""})


class FixedParameter(BaseParameter):
    """Not shown on the form; always gives its default."""

    type = "fixed"
    hide = True

    def parse_from_args(self, values: list[Any]) -> Any:
        return self.default


class StringParameter(BaseParameter):
    """A one-line text box."""

    type = "text"
    spec_extra: ClassVar[tuple[str, ...]] = ("size",)
    posted_types: ClassVar[tuple[Any, ...]] = (str,)
    posted_description: ClassVar[str] = "a string"
    size: Any = 10

    def __init__(self, name: Any, label: Any = None, *, size: Any = UNSET, **kw: Any) -> None:
        super().__init__(name, label, **kw)
        self.set_given(size=size)


class TextParameter(StringParameter):
    """A multi-line text area."""

    type = "textarea"
    spec_extra: ClassVar[tuple[str, ...]] = ("cols", "rows")
    cols: Any = 80
    rows: Any = 20

    def __init__(
        self, name: Any, label: Any = None, *, cols: Any = UNSET, rows: Any = UNSET, **kw: Any
    ) -> None:
        super().__init__(name, label, **kw)
        self.set_given(cols=cols, rows=rows)


class IntParameter(StringParameter):
    """A whole number."""

    type = "int"
    posted_types: ClassVar[tuple[Any, ...]] = (str, int)
    posted_description: ClassVar[str] = "a whole number"
    default = 0

    def parse_from_arg(self, value: Any) -> int:
        number: int | None = value if is_int(value) else None
        if isinstance(value, str) and len(value.strip()) <= 40:
            try:
                number = parse_int64(value)
            except OutOfRange:
                shown = value.strip()[:40]
                raise ValidationError(f"{shown} is out of range (a 64-bit integer)") from None
            except ValueError:
                pass
        if number is None:
            raise ValidationError(f"{str(value)[:40]!r} is not a whole number")
        if not in_int64(number):
            raise ValidationError(f"{number} is out of range (a 64-bit integer)")
        return number


class BooleanParameter(BaseParameter):
    """A check box: true, false, or (from scripts) "true"/"false", "1"/"0", "yes"/"no"."""

    type = "bool"
    default = False

    def getFromKwargs(self, kwargs: Kwargs) -> bool:
        values = kwargs.get(self.fullName or "", [])
        if not values:
            return bool(self.default)
        value = values[0]
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValidationError(f"{value!r} is neither true nor false")


class UserNameParameter(StringParameter):
    """Who forces the build (the ``owner``); with ``need_email``, an address is required."""

    type = "username"
    spec_extra: ClassVar[tuple[str, ...]] = ("need_email",)
    size = 30
    need_email: Any = True

    def __init__(
        self,
        name: Any = "username",
        label: Any = "Your name:",
        *,
        need_email: Any = UNSET,
        **kw: Any,
    ) -> None:
        super().__init__(name, label, **kw)
        self.set_given(need_email=need_email)

    def parse_from_arg(self, value: Any) -> Any:
        if not value and not self.required:
            return value
        if self.need_email and not EMAIL.search(str(value)):
            raise ValidationError(f"{value!r} has no email address: write 'Name <you@example.com>'")
        return value


class ChoiceStringParameter(BaseParameter):
    """One of ``choices`` (or several, with ``multiple``); ``strict=False`` accepts others."""

    type = "list"
    spec_extra: ClassVar[tuple[str, ...]] = ("choices", "strict")
    choices: Any = ()
    strict: Any = True

    def __init__(
        self,
        name: Any,
        label: Any = None,
        *,
        choices: Any = UNSET,
        strict: Any = UNSET,
        **kw: Any,
    ) -> None:
        super().__init__(name, label, **kw)
        self.set_given(choices=choices, strict=strict)

    def to_json(self) -> dict[str, Any]:
        return {**super().to_json(), "choices": list(self.choices)}

    def parse_from_arg(self, value: Any) -> Any:
        if self.strict and value not in self.choices:
            raise ValidationError(f"{value!r} is not one of {list(self.choices)!r}")
        return value

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not isinstance(self.choices, list | tuple):
            errors.add(f"{type(self).__name__} {self.name!r}: choices must be a list", about=self)


class WorkerChoiceParameter(ChoiceStringParameter):
    """The worker to build on, as the ``workername`` property; ``-any-`` (or nothing) sets none."""

    anySentinel = "-any-"
    strict = False
    choices = ("-any-",)
    default = "-any-"

    def __init__(self, name: Any = "workername", label: Any = "Worker", **kw: Any) -> None:
        super().__init__(name, label, **kw)

    async def updateFromKwargs(
        self,
        properties: dict[str, Any],
        kwargs: Kwargs,
        collector: ValidationErrorCollector,
        **context: Any,
    ) -> None:
        value = self.getFromKwargs(kwargs)
        if value not in (self.anySentinel, ""):
            properties[self.name] = value
