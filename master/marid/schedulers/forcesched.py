"""``ForceScheduler``: the "force build" form of the web UI, and what happens when it is sent.

Arguments and defaults are Buildbot's: ``username`` (a ``UserNameParameter``),
``reason`` (``StringParameter('reason', default='force build', size=20)``),
``reasonString`` (``"A build was forced by '%(owner)s': %(reason)s"``),
``buttonName`` and ``label`` (both default to the name), ``codebases``
(names or ``CodebaseParameter``s; default one unnamed codebase), ``properties``
(a list of parameters, each giving the property named after it) and
``priority`` (``IntParameter('priority', default=0)``).

The form (``to_json()``, served at ``/api/v2/forceschedulers``) is
``all_fields``: an unnamed nest holding username, reason and priority, then
the codebases, then the property parameters. ``force()`` validates every
field, reporting all bad fields at once as ``ForceValidationError`` (a
parameter that names no field of the form is one of them: see
``accepts()``), and adds
one buildset with the properties ``owner``, ``reason`` and those of the
parameters (source ``"Force Build Form"``) and one source stamp per codebase.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from typing import Any

from marid.config.checks_base import type_name
from marid.config.errors import ErrorCollector
from marid.data.bounds import INT32_MAX, INT32_MIN, OutOfRange, in_int64, out_of_range, parse_int64
from marid.data.errors import NotFoundError
from marid.process.properties import Properties
from marid.schedulers.base import BaseScheduler
from marid.schedulers.checks import check_builder_names
from marid.schedulers.errors import ForceValidationError
from marid.schedulers.forceparams import (
    BaseParameter,
    CodebaseParameter,
    IntParameter,
    NestedParameter,
    StringParameter,
    UserNameParameter,
    ValidationErrorCollector,
)

DEFAULT_REASON_STRING = "A build was forced by '%(owner)s': %(reason)s"
PROPERTY_SOURCE = "Force Build Form"
# Force schedulers are reached at forceschedulers/<name>, so the name must be a path identifier.
IDENTIFIER = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")


def _codebase_parameters(codebases: Any) -> list[CodebaseParameter]:
    if codebases is None:
        return [CodebaseParameter(codebase="")]
    if not isinstance(codebases, list | tuple):
        return []
    return [
        CodebaseParameter(codebase=c) if isinstance(c, str) else c
        for c in codebases
        if isinstance(c, str | CodebaseParameter)
    ]


class ForceScheduler(BaseScheduler):
    """A scheduler that adds a buildset when a user (or ``marid force``) asks for one."""

    properties_source = PROPERTY_SOURCE

    def __init__(
        self,
        name: Any,
        builderNames: Any,
        username: Any = None,
        reason: Any = None,
        reasonString: Any = DEFAULT_REASON_STRING,
        buttonName: Any = None,
        codebases: Any = None,
        label: Any = None,
        properties: Any = None,
        priority: Any = None,
        **unknown: Any,
    ) -> None:
        super().__init__(name, builderNames, codebases=codebases, **unknown)
        self.username = UserNameParameter() if username is None else username
        self.reason = (
            StringParameter(name="reason", default="force build", size=20)
            if reason is None
            else reason
        )
        self.priority = IntParameter(name="priority", default=0) if priority is None else priority
        self.reasonString = reasonString
        self.buttonName = buttonName or name
        self.label = name if label is None else label
        self.forcedProperties = [] if properties is None else properties
        self.codebase_fields = _codebase_parameters(codebases)
        top = [
            p for p in (self.username, self.reason, self.priority) if isinstance(p, BaseParameter)
        ]
        self.all_fields: list[BaseParameter] = [NestedParameter(name="", fields=top)]
        self.all_fields.extend(self.codebase_fields)
        if isinstance(self.forcedProperties, list | tuple):
            self.all_fields.extend(p for p in self.forcedProperties if isinstance(p, BaseParameter))

    # -- configuration -----------------------------------------------------------------

    def codebase_defaults(self) -> dict[str, dict[str, Any]]:
        return {
            str(c.codebase): {"branch": "", "repository": "", "revision": ""}
            for c in self.codebase_fields
        }

    def fields(self) -> Iterator[BaseParameter]:
        """Every leaf field of the form, in form order."""
        for field in self.all_fields:
            if isinstance(field, NestedParameter):
                yield from field.leaves()
            else:
                yield field

    def accepts(self, name: str) -> bool:
        """Whether a posted parameter ``name`` belongs to a field of this form.

        A field's ``fullName`` does, and so does any name that starts with it
        and ``_`` (``AnyPropertyParameter`` posts ``<fullName>_name`` and
        ``<fullName>_value``; custom fields may read similar names).
        """
        for field in self.fields():
            full = field.fullName
            if full and (name == full or name.startswith(f"{full}_")):
                return True
        return False

    def check_config(self, errors: ErrorCollector) -> None:
        what = f"ForceScheduler {self.name!r}"
        self.check_unknown_arguments(errors, what)
        if isinstance(self.name, str) and self.name and not IDENTIFIER.match(self.name):
            errors.add(
                f"{what}: the name must be an identifier (letters, digits, '_', '.', '-'; "
                "not starting with a digit or '-')",
                about=self,
            )
        check_builder_names(self.builderNames, errors, what, self, renderable=False)
        for attribute, kind in (("username", BaseParameter), ("reason", BaseParameter)):
            value = getattr(self, attribute)
            if not isinstance(value, kind):
                errors.add(f"{what}: {attribute} must be a parameter, not {value!r}", about=self)
        if not isinstance(self.priority, IntParameter):
            errors.add(
                f"{what}: priority must be an IntParameter, not {self.priority!r}", about=self
            )
        self._check_texts(errors, what)
        self._check_lists(errors, what)
        for field in self.all_fields:
            field.check_config(errors)
        seen: set[str] = set()
        for field in self.fields():
            full = field.fullName
            if isinstance(full, str) and full in seen:
                errors.add(f"{what}: two fields are named {full!r}", about=field)
            seen.add(full or "")

    def _check_texts(self, errors: ErrorCollector, what: str) -> None:
        if not isinstance(self.reasonString, str):
            errors.add(f"{what}: reasonString must be a str", about=self)
        else:
            try:
                self.reasonString % {"owner": "", "reason": ""}
            except (KeyError, ValueError, TypeError) as error:
                errors.add(
                    f"{what}: reasonString may only use %(owner)s and %(reason)s ({error!r})",
                    about=self,
                )
        for attribute in ("buttonName", "label"):
            value = getattr(self, attribute)
            if not isinstance(value, str):
                errors.add(f"{what}: {attribute} must be a str, not {type_name(value)}", about=self)

    def _check_lists(self, errors: ErrorCollector, what: str) -> None:
        codebases = self.codebases
        if codebases is not None:
            if not isinstance(codebases, list | tuple):
                errors.add(
                    f"{what}: codebases must be a list, not {type_name(codebases)}", about=self
                )
            elif not codebases:
                errors.add(
                    f"{what}: codebases cannot be empty; to hide the only one, use "
                    "[util.CodebaseParameter(codebase='', hide=True)]",
                    about=self,
                )
            elif len(self.codebase_fields) != len(codebases):
                errors.add(
                    f"{what}: codebases must be names or CodebaseParameters: {codebases!r}",
                    about=self,
                )
        forced = self.forcedProperties
        if not isinstance(forced, list | tuple) or not all(
            isinstance(p, BaseParameter) for p in forced
        ):
            errors.add(
                f"{what}: properties must be a list of parameters, not {forced!r}", about=self
            )

    # -- the form ----------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        """The ``forceschedulers`` entity: Buildbot's keys and field shapes."""
        return {
            "all_fields": [field.to_json() for field in self.all_fields],
            "builder_names": list(self.builderNames),
            "button_name": self.buttonName,
            "enabled": self.enabled,
            "label": self.label,
            "name": self.name,
        }

    async def force(
        self,
        owner: str | None,
        builderNames: Sequence[str] | None = None,
        builderid: int | str | None = None,
        **kwargs: Any,
    ) -> tuple[int, dict[int, int]]:
        """Validate the posted fields and add the buildset: ``(bsid, {builderid: brid})``.

        ``owner`` None or ``"anonymous"`` means "take it from the username
        field". ``builderid`` picks one of the scheduler's builders,
        ``builderNames`` several; neither means all of them.
        """
        context = self.require_context()
        unknown = {
            key[:60]: "this form has no such field" for key in kwargs if not self.accepts(key)
        }
        if unknown:
            raise ForceValidationError(unknown)
        names = await self._chosen_builders(builderNames, builderid)
        posted = {key: list(v) if isinstance(v, list) else [v] for key, v in kwargs.items()}
        collector = ValidationErrorCollector()
        reason = await collector.collect(self.reason.fullName, self.reason.getFromKwargs, posted)
        if owner is None or owner == "anonymous":
            owner = await collector.collect(
                self.username.fullName, self.username.getFromKwargs, posted
            )
        priority = await collector.collect(
            self.priority.fullName, self.priority.getFromKwargs, posted
        )
        values: dict[str, Any] = {}
        stamps: dict[str, dict[str, Any]] = {}
        for field in self.all_fields[1:]:
            await collector.collect(
                field.fullName,
                field.updateFromKwargs,
                values,
                posted,
                collector,
                sourcestamps=stamps,
                validation=context.validation,
            )
        if isinstance(priority, int) and not INT32_MIN <= priority <= INT32_MAX:
            collector.errors[self.priority.fullName or "priority"] = (
                f"{priority} is out of range ({INT32_MIN} to {INT32_MAX})"
            )
        collector.raise_if_errors()
        properties = Properties()
        for name, value in values.items():
            properties.setProperty(name, value, PROPERTY_SOURCE)
        properties.setProperty("reason", reason, PROPERTY_SOURCE)
        properties.setProperty("owner", owner, PROPERTY_SOURCE)
        return await self.add_buildset_for_sourcestamps(
            sourcestamps=[{**stamp, "codebase": codebase} for codebase, stamp in stamps.items()],
            reason=self.reasonString % {"owner": owner, "reason": reason},
            properties=properties,
            builderNames=names,
            priority=priority,
        )

    async def _chosen_builders(
        self, builderNames: Sequence[str] | None, builderid: int | str | None
    ) -> list[str]:
        mine = list(self.builderNames)
        if builderNames is not None:
            names = sorted(set(builderNames) & set(mine))
            if not names:
                raise ForceValidationError(
                    {"builderNames": f"none of {list(builderNames)!r} is in {mine!r}"}
                )
            return names
        if builderid is None or builderid == "":
            return mine
        number = _builder_number(builderid)
        try:
            result, _ = await self.require_context().data.get(("builders", str(number)))
        except NotFoundError:
            raise ForceValidationError({"builderid": f"no builder with id {builderid!r}"}) from None
        name = result.items[0]["name"]
        if name not in mine:
            raise ForceValidationError(
                {"builderid": f"builder {name!r} is not one of this scheduler's builders {mine!r}"}
            )
        return [name]


def _builder_number(builderid: object) -> int:
    """``builderid`` as posted (an int, or its digits as a string), checked."""
    number: int | None = None
    if isinstance(builderid, int) and not isinstance(builderid, bool):
        number = builderid
    elif isinstance(builderid, str) and builderid.isascii() and builderid.strip().isdigit():
        try:
            number = parse_int64(builderid)
        except OutOfRange:
            raise ForceValidationError(
                {"builderid": out_of_range("builderid", builderid)}
            ) from None
    if number is None or number < 0:
        shown = builderid if isinstance(builderid, str | int | float) else type(builderid).__name__
        raise ForceValidationError(
            {"builderid": f"must be a builder id (a whole number), not {str(shown)[:40]!r}"}
        )
    if not in_int64(number):
        raise ForceValidationError({"builderid": out_of_range("builderid", number)})
    return number
