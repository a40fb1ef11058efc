"""``Interpolate`` and the older ``WithProperties``: %-format strings filled in at render time.

``Interpolate("%(prop:branch)s-%(src::revision:-unknown)s")`` reads a
selector and a key inside each ``%(...)``:

========================  ====================================================
``prop:<name>``           the property ``name``
``src:<codebase>:<attr>`` an attribute of that codebase's source stamp
                          (``%(src::revision)s`` for the default codebase)
``kw:<name>``             a keyword argument of ``Interpolate`` (may be a renderable)
``worker:<key>``          an item of the worker's info
``secret:<name>``         a secret from the secret providers
========================  ====================================================

and may end with an operator: ``:-default`` (when missing), ``:~default``
(when missing or false), ``:+alternative`` (when present, else empty),
``:?|if_present|if_missing`` and ``:#?|if_true|if_false`` (any character but
``(`` may replace ``|``). Defaults and alternatives are format strings
themselves, so they may hold further ``%(...)s``. A missing key without an
operator renders as the empty string, except a secret, which is an error.
Source stamp attributes and worker info items that are None count as missing.
Positional ``%s`` placeholders take the extra arguments instead, but one
string cannot mix both styles.

Format strings are parsed at construction; a bad one is reported by
``check_config`` and raises ``RenderError`` if rendered anyway. Every message
quotes the whole format string. Each rendered secret value is added to
``props.secrets_used`` for the redaction point.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from marid.config.origin import ConfigObject
from marid.process.formatstring import Field, FormatError, Text, apply_spec, scan, split_top_level
from marid.process.renderables import (
    Renderable,
    RenderError,
    call_and_await,
    check_renderables,
    render,
)

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector
    from marid.process.properties import IProperties

SELECTORS = ("prop", "src", "kw", "worker", "secret")


@dataclass(frozen=True)
class _Lookup:
    """One parsed ``%(selector:key[:op...])spec``."""

    selector: str  # one of SELECTORS, or "pos" for a positional placeholder
    name: str
    codebase: str  # only for ``src``
    op: str | None  # None, "-", "~", "+", "?" or "#?"
    alternatives: tuple[tuple[Text | _Lookup, ...], ...]
    spec: str
    source: str


_Template = tuple[Text | _Lookup, ...]


def _parse_template(text: str, allow_positional: bool) -> tuple[_Template, int]:
    """The parsed template and its number of positional placeholders."""
    parts: list[Text | _Lookup] = []
    positional = 0
    for item in scan(text):
        if isinstance(item, Text):
            parts.append(item)
        elif item.key is None:
            if not allow_positional:
                raise FormatError(f"positional {item.source!r} is not allowed inside {text!r}")
            positional += 1
            parts.append(_Lookup("pos", "", "", None, (), item.spec, item.source))
        else:
            parts.append(_parse_lookup(item))
    return tuple(parts), positional


def _parse_lookup(item: Field) -> _Lookup:
    key = item.key or ""
    selector, colon, rest = key.partition(":")
    if not colon:
        raise FormatError(
            f"{item.source!r} has no selector; write %(prop:{key}){item.spec} for a property "
            f"(selectors: {', '.join(SELECTORS)})"
        )
    if selector not in SELECTORS:
        raise FormatError(
            f"{item.source!r} uses the unknown selector {selector!r} "
            f"(selectors: {', '.join(SELECTORS)})"
        )
    codebase = ""
    if selector == "src":
        codebase, colon, rest = rest.partition(":")
        if not colon:
            raise FormatError(
                f"{item.source!r} needs a codebase and an attribute: %(src:<codebase>:<attr>)s, "
                "or %(src::<attr>)s for the default codebase"
            )
    name, colon, op_text = rest.partition(":")
    if not name:
        raise FormatError(f"{item.source!r} names no {selector} key")
    op: str | None = None
    alternatives: tuple[_Template, ...] = ()
    if colon:
        op, texts = _parse_operator(op_text, item.source)
        alternatives = tuple(_parse_template(text, allow_positional=False)[0] for text in texts)
    return _Lookup(selector, name, codebase, op, alternatives, item.spec, item.source)


def _parse_operator(op_text: str, source: str) -> tuple[str, list[str]]:
    if op_text[:1] in ("-", "~", "+"):
        return op_text[0], [op_text[1:]]
    for op in ("#?", "?"):
        if op_text.startswith(op):
            rest = op_text[len(op) :]
            delimiter = rest[:1]
            if not delimiter or delimiter == "(":
                raise FormatError(f"{source!r}: {op} must be followed by a delimiter such as '|'")
            choices = split_top_level(rest[1:], delimiter)
            if len(choices) != 2:
                raise FormatError(
                    f"{source!r}: {op} needs exactly two alternatives: "
                    f"{op}{delimiter}if_yes{delimiter}if_no"
                )
            return op, choices
    raise FormatError(
        f"{source!r}: unknown operator {op_text[:1]!r}; expected one of -, ~, +, ?, #?"
    )


class Interpolate(ConfigObject, Renderable):
    """A string filled in from properties, source stamps, keywords, worker info and secrets."""

    def __init__(self, fmtstring: str, *args: Any, **kwargs: Any) -> None:
        self.fmtstring = fmtstring
        self.args = args
        self.kwargs = kwargs
        self._template: _Template = ()
        self._error: str | None = None
        try:
            self._template = self._parse()
        except FormatError as error:
            self._error = f"Interpolate({fmtstring!r}): {error}"

    def _parse(self) -> _Template:
        if not isinstance(self.fmtstring, str):
            raise FormatError(f"the format must be a string, not {type(self.fmtstring).__name__}")
        template, positional = _parse_template(self.fmtstring, allow_positional=True)
        keyed = any(isinstance(p, _Lookup) and p.selector != "pos" for p in template)
        if positional and keyed:
            raise FormatError("use either %(...)s substitutions or positional %s, not both")
        if positional != len(self.args):
            raise FormatError(
                f"the format has {positional} positional placeholder(s) "
                f"but {len(self.args)} argument(s) were given"
            )
        return template

    def check_config(self, errors: ErrorCollector) -> None:
        if self._error is not None:
            errors.add(self._error, about=self)
        check_renderables([self.args, self.kwargs], errors)

    async def getRenderingFor(self, props: IProperties) -> str:
        if self._error is not None:
            raise RenderError(self._error)
        state = _State(props, await render(list(self.args), props))
        return await self._fill(self._template, state)

    async def _fill(self, template: _Template, state: _State) -> str:
        out: list[str] = []
        for part in template:
            if isinstance(part, Text):
                out.append(part.text)
                continue
            value = await self._value_of(part, state)
            try:
                out.append(apply_spec(part.spec, value))
            except (TypeError, ValueError) as error:
                message = (
                    f"Interpolate({self.fmtstring!r}): cannot format {value!r} "
                    f"with {part.source!r}: {error}"
                )
                for secret in state.props.secrets_used:  # errors end up in logs
                    message = message.replace(secret, "<secret>")
                raise RenderError(message) from None
        return "".join(out)

    async def _value_of(self, part: _Lookup, state: _State) -> Any:
        if part.selector == "pos":
            value = state.args[state.position]
            state.position += 1
            return value
        present, value = await self._lookup(part, state)
        truthy = present and bool(value)
        match part.op:
            case None if not present and part.selector == "secret":
                raise RenderError(
                    f"Interpolate({self.fmtstring!r}): no secret provider knows "
                    f"the secret {part.name!r}"
                )
            case None:
                return value if present else ""
            case "-":
                return value if present else await self._fill(part.alternatives[0], state)
            case "~":
                return value if truthy else await self._fill(part.alternatives[0], state)
            case "+":
                return await self._fill(part.alternatives[0], state) if present else ""
            case "?" | "#?":
                chosen = truthy if part.op == "#?" else present
                return await self._fill(part.alternatives[0 if chosen else 1], state)
        raise AssertionError(part.op)  # pragma: no cover - the parser only makes the ops above

    async def _lookup(self, part: _Lookup, state: _State) -> tuple[bool, Any]:
        props = state.props
        context = props.render_context
        if part.selector == "prop":
            return props.hasProperty(part.name), props.getProperty(part.name)
        if part.selector == "kw":
            if part.name not in self.kwargs:
                return False, None
            if part.name not in state.kwargs:
                state.kwargs[part.name] = await render(self.kwargs[part.name], props)
            return True, state.kwargs[part.name]
        if part.selector == "src":
            stamp = context.sourcestamps.get(part.codebase) or {}
            value = stamp.get(part.name)
            return value is not None, value
        if part.selector == "worker":
            value = context.worker_info.get(part.name)
            return value is not None, value
        return await self._secret(part.name, state)

    async def _secret(self, name: str, state: _State) -> tuple[bool, Any]:
        if name not in state.secrets:
            lookup = state.props.render_context.secrets
            if lookup is None:
                raise RenderError(
                    f"Interpolate({self.fmtstring!r}): secret {name!r} asked for, "
                    "but no secret providers are available to this rendering"
                )
            value = await lookup(name)
            if value:  # an empty secret has nothing to redact
                state.props.secrets_used.add(value)
            state.secrets[name] = value
        value = state.secrets[name]
        return value is not None, value

    def __repr__(self) -> str:
        return f"Interpolate({self.fmtstring!r})"


class _State:
    """What one rendering of an ``Interpolate`` has computed so far."""

    def __init__(self, props: IProperties, args: list[Any]) -> None:
        self.props = props
        self.args = args
        self.position = 0
        self.kwargs: dict[str, Any] = {}
        self.secrets: dict[str, str | None] = {}


class WithProperties(ConfigObject, Renderable):
    """The older format: ``%(name)s`` names a property; positional ``%s`` take property names.

    Keys may end in ``:-default``, ``:~default`` or ``:+alternative``, whose
    text is taken literally. A keyword argument is a function of a read-only
    property mapping whose result fills ``%(keyword)s``. Missing properties
    and None render as the empty string.
    """

    def __init__(self, fmtstring: str, *args: str, **lambda_subs: Callable[..., Any]) -> None:
        self.fmtstring = fmtstring
        self.args = args
        self.lambda_subs = lambda_subs
        self._fields: tuple[Text | Field, ...] = ()
        self._error: str | None = None
        try:
            self._fields = tuple(scan(fmtstring))
        except FormatError as error:
            self._error = f"WithProperties({fmtstring!r}): {error}"
            return
        fields = [f for f in self._fields if isinstance(f, Field)]
        positional = sum(f.key is None for f in fields)
        if args and positional < len(fields):
            self._error = "use either %(...)s substitutions or positional %s, not both"
        elif positional != len(args):
            self._error = (
                f"the format has {positional} positional placeholder(s) "
                f"but {len(args)} property name(s) were given"
            )
        for field in fields:
            op = (field.key or "").partition(":")[2][:1]
            if (field.key or "").count(":") and op not in ("-", "~", "+"):
                self._error = f"unknown operator {op!r} in {field.source!r}; expected -, ~ or +"
        if self._error is not None:
            self._error = f"WithProperties({fmtstring!r}): {self._error}"

    def check_config(self, errors: ErrorCollector) -> None:
        if self._error is not None:
            errors.add(self._error, about=self)
        for key, function in self.lambda_subs.items():
            if not callable(function):
                errors.add(f"WithProperties keyword {key!r} must be a function", about=self)

    async def getRenderingFor(self, props: IProperties) -> str:
        if self._error is not None:
            raise RenderError(self._error)
        names = iter(self.args)
        out: list[str] = []
        for item in self._fields:
            if isinstance(item, Text):
                out.append(item.text)
                continue
            if item.key is None:
                value = props.getProperty(next(names))
            else:
                value = await self._value(item.key, props)
            try:
                out.append(apply_spec(item.spec, "" if value is None else value))
            except (TypeError, ValueError) as error:
                raise RenderError(
                    f"WithProperties({self.fmtstring!r}): cannot format {value!r} "
                    f"with {item.source!r}: {error}"
                ) from None
        return "".join(out)

    async def _value(self, key: str, props: IProperties) -> Any:
        name, colon, op_text = key.partition(":")
        if name in self.lambda_subs:
            present = True
            value = await render(await call_and_await(self.lambda_subs[name], _View(props)), props)
        else:
            present, value = props.hasProperty(name), props.getProperty(name)
        op, replacement = op_text[:1], op_text[1:]
        if not colon:
            return value
        if op == "-":
            return value if present else replacement
        if op == "~":
            return value if present and value else replacement
        return replacement if present else ""  # "+", the only other operator the parser allows

    def __repr__(self) -> str:
        return f"WithProperties({self.fmtstring!r})"


class _View:
    """The read-only property mapping a ``WithProperties`` keyword function receives."""

    def __init__(self, props: IProperties) -> None:
        self._props = props

    def __getitem__(self, name: str) -> Any:
        if not self._props.hasProperty(name):
            raise KeyError(name)
        return self._props.getProperty(name)

    def __contains__(self, name: str) -> bool:
        return self._props.hasProperty(name)

    def get(self, name: str, default: Any = None) -> Any:
        return self._props.getProperty(name, default)

    getProperty = get
    hasProperty = __contains__
