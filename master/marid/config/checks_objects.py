"""Checks for the objects that later subsystems own: workers, builders, schedulers, services...

The classes behind these keys live elsewhere, so this module duck-types them:
lists must be lists, named things need a unique, non-empty ``name``, and the
names that builders and schedulers refer to must exist. Errors about one
object point at the line that built it (see ``origin``). Each object that is a
``ConfigObject`` then checks itself through ``check_config``.

Configurators (``c['configurators']``) are applied before any check, because
they add to the other keys.
"""

from __future__ import annotations

import re
from collections.abc import Callable, MutableMapping
from dataclasses import replace
from typing import Any

from marid.config.checks_base import Check, KeyContext, as_list, suggestion, type_name
from marid.config.errors import ErrorCollector
from marid.config.master_config import MasterConfig
from marid.config.origin import ConfigObject

WORKER_NAME = re.compile(r"^[\w.-]{1,50}$")


NameRule = Callable[[str], str | None]


def _worker_name_rule(name: str) -> str | None:
    # The database keeps worker names in 50 characters; PB logs in with them.
    if WORKER_NAME.match(name):
        return None
    return f"worker name {name!r} must be 1 to 50 letters, digits, '_', '-' or '.'"


def _builder_name_rule(name: str) -> str | None:
    return f"builder name {name!r} must not start with '_'" if name.startswith("_") else None


def _check_names(
    items: list[Any],
    k: KeyContext,
    what: str,
    example: str,
    *,
    required: bool,
    rule: NameRule | None = None,
) -> None:
    seen: dict[str, object] = {}
    for number, item in enumerate(items, start=1):
        name = getattr(item, "name", None)
        if isinstance(item, dict):
            k.error(f"{what} #{number} is a dict; write {example}", about=item)
        elif not isinstance(name, str) or not name:
            if required or name is not None:
                k.error(
                    f"{what} #{number} ({type_name(item)}) needs a non-empty str 'name'", about=item
                )
        elif name in seen:
            first = k.location(seen[name])
            k.error(f"duplicate {what} name {name!r} (first defined at {first})", about=item)
        else:
            seen[name] = item
            problem = rule(name) if rule is not None else None
            if problem:
                k.error(problem, about=item)


def _named_list(
    field: str, what: str, example: str, *, required: bool = True, rule: NameRule | None = None
) -> Check:
    def check(value: object, k: KeyContext) -> None:
        items = as_list(value, k, f"{what}s")
        if items is not None:
            _check_names(items, k, what, example, required=required, rule=rule)
            setattr(k.config, field, items)

    return check


def _plain_list(field: str, what: str) -> Check:
    def check(value: object, k: KeyContext) -> None:
        items = as_list(value, k, what)
        if items is not None:
            setattr(k.config, field, items)

    return check


def check_change_source(value: object, k: KeyContext) -> None:
    # Buildbot accepts one change source or a list of them; None means none.
    items: list[Any] = []
    if isinstance(value, list | tuple):
        items = list(value)
    elif value is not None:
        items = [value]
    _check_names(items, k, "change source", "a change source object", required=False)
    k.config.change_source = items


def check_configurators(value: object, k: KeyContext) -> None:
    items = as_list(value, k, "configurators")
    if items is None:
        return
    for number, item in enumerate(items, start=1):
        if not callable(getattr(item, "configure", None)):
            k.error(
                f"configurator #{number} ({type_name(item)}) has no configure() method", about=item
            )
    k.config.configurators = items


def apply_configurators(raw: MutableMapping[str, Any], errors: ErrorCollector) -> None:
    """Let each configurator add to the config dict; ``check_configurators`` reports bad ones."""
    items = raw.get("configurators", [])
    if not isinstance(items, list | tuple):
        return
    for item in items:
        configure = getattr(item, "configure", None)
        if not callable(configure):
            continue
        try:
            configure(raw)
        except Exception as error:
            errors.add(
                f"{type_name(item)}.configure() raised {type(error).__name__}: {error}",
                key="configurators",
                about=item,
            )


def _referenced_names(obj: object, *attributes: str) -> list[str]:
    names: list[str] = []
    for attribute in attributes:
        value = getattr(obj, attribute, None)
        if isinstance(value, str):
            names.append(value)
        elif isinstance(value, list | tuple):
            names.extend(name for name in value if isinstance(name, str))
    return names


def check_references(config: MasterConfig, errors: ErrorCollector) -> None:
    """Builders must name defined workers; schedulers must name defined builders."""
    workers = [w.name for w in config.workers if isinstance(getattr(w, "name", None), str)]
    for builder in config.builders:
        for name in _referenced_names(builder, "workername", "workernames"):
            if name not in workers:
                errors.add(
                    f"builder {getattr(builder, 'name', '?')!r} uses unknown worker "
                    f"{name!r}{suggestion(name, workers)}",
                    key="builders",
                    about=builder,
                )
    builders = [b.name for b in config.builders if isinstance(getattr(b, "name", None), str)]
    for scheduler in config.schedulers:
        for name in _referenced_names(scheduler, "builderNames"):
            if name not in builders:
                errors.add(
                    f"scheduler {getattr(scheduler, 'name', '?')!r} triggers unknown builder "
                    f"{name!r}{suggestion(name, builders)}",
                    key="schedulers",
                    about=scheduler,
                )


def run_object_checks(config: MasterConfig, errors: ErrorCollector) -> None:
    """Call ``check_config`` on every top-level ``ConfigObject``."""
    groups = {
        "workers": config.workers,
        "builders": config.builders,
        "schedulers": config.schedulers,
        "change_source": config.change_source,
        "services": config.services,
        "secretsProviders": config.secrets_providers,
        "user_managers": config.user_managers,
    }
    for key, items in groups.items():
        for item in items:
            if not isinstance(item, ConfigObject):
                continue
            before = len(errors)
            try:
                item.check_config(errors)
            except Exception as error:
                errors.add(
                    f"checking {type_name(item)} raised {type(error).__name__}: {error}",
                    key=key,
                    about=item,
                )
            # Errors a check added without naming a key belong to the key holding the object.
            for index in range(before, len(errors)):
                if errors.errors[index].key is None:
                    errors.errors[index] = replace(errors.errors[index], key=key)


OBJECT_CHECKS: dict[str, Check] = {
    "workers": _named_list(
        "workers", "worker", "worker.Worker('name', 'password')", rule=_worker_name_rule
    ),
    "builders": _named_list(
        "builders", "builder", "util.BuilderConfig(name=..., ...)", rule=_builder_name_rule
    ),
    "schedulers": _named_list("schedulers", "scheduler", "a scheduler object"),
    "change_source": check_change_source,
    "services": _named_list("services", "service", "a service object", required=False),
    "secretsProviders": _plain_list("secrets_providers", "secret providers"),
    "user_managers": _plain_list("user_managers", "user managers"),
    "configurators": check_configurators,
}
