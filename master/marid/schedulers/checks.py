"""Config checks shared by the schedulers: builder names, properties, codebases.

Each check adds one error per problem to the collector, about the scheduler
(``about``) so that the error points at the line of ``master.cfg`` that built
it; ``what`` names the scheduler in the message ("ForceScheduler 'force'").
"""

from __future__ import annotations

from typing import Any

from marid.config.checks_base import type_name
from marid.config.errors import ErrorCollector
from marid.process.properties import check_json
from marid.process.renderables import check_renderables, is_renderable
from marid.schedulers.stamps import CODEBASE_KEYS


def check_builder_names(
    names: Any, errors: ErrorCollector, what: str, about: object, *, renderable: bool = True
) -> None:
    """A non-empty list of names (or, if ``renderable``, a renderable that gives one)."""
    if renderable and is_renderable(names):
        check_renderables(names, errors)
    elif not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        errors.add(
            f"{what}: builderNames must be a list of builder names, not {names!r}", about=about
        )
    elif not names:
        errors.add(f"{what}: builderNames is empty; name at least one builder", about=about)


def check_properties(
    properties: Any, errors: ErrorCollector, what: str, about: object, source: str
) -> None:
    """A dict of str names to JSON values or renderables."""
    if not isinstance(properties, dict):
        errors.add(f"{what}: properties must be a dict, not {type_name(properties)}", about=about)
        return
    for name, value in properties.items():
        if not isinstance(name, str):
            errors.add(f"{what}: property names must be str, not {name!r}", about=about)
        elif is_renderable(value):
            check_renderables(value, errors)
        else:
            try:
                check_json(name, value, source)
            except TypeError as error:
                errors.add(f"{what}: {error}", about=about)


def check_codebases(codebases: Any, errors: ErrorCollector, what: str, about: object) -> None:
    """None, a list of codebase names, or ``{name: {repository, branch, revision, project}}``."""
    if codebases is None:
        return
    if isinstance(codebases, dict):
        for name, spec in codebases.items():
            if not isinstance(name, str):
                errors.add(f"{what}: codebase names must be str, not {name!r}", about=about)
            elif not isinstance(spec, dict) or set(spec) - CODEBASE_KEYS:
                errors.add(
                    f"{what}: codebase {name!r} must be a dict with keys among "
                    f"{sorted(CODEBASE_KEYS)}, not {spec!r}",
                    about=about,
                )
    elif not isinstance(codebases, list | tuple) or not all(isinstance(n, str) for n in codebases):
        errors.add(
            f"{what}: codebases must be a list of names or a dict, not {codebases!r}", about=about
        )
