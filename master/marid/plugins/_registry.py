"""The lazy name table behind each ``marid.plugins`` namespace.

A namespace maps public names to ``"module:attribute"`` targets and imports a
target only when a config first uses its name, so ``from marid.plugins import
worker`` costs nothing and an optional dependency (docker, boto3, ...) is
only needed by the configs that use it. Names come from three places, in
order of precedence: the table in the namespace module (Marid's own
subsystems), ``_register`` calls, and installed packages' entry points in
the group ``marid.<namespace>`` (for example ``marid.worker``).
"""

from __future__ import annotations

import importlib
from importlib.metadata import entry_points
from typing import Any


class Namespace:
    """The names one ``marid.plugins`` module offers."""

    def __init__(self, module_name: str, table: dict[str, str], entry_point_group: str) -> None:
        self.module_name = module_name
        self._targets: dict[str, str | object] = dict(table)
        self._entry_point_group = entry_point_group
        self._entry_points: dict[str, str] | None = None
        self._resolved: dict[str, Any] = {}

    def register(self, name: str, target: str | object) -> None:
        """Offer ``name``: ``target`` is an object or a ``"module:attribute"`` string."""
        if not name.isidentifier():
            raise ValueError(f"{name!r} is not a valid name for {self.module_name}")
        self._targets[name] = target
        self._resolved.pop(name, None)

    def names(self) -> list[str]:
        return sorted({*self._targets, *self._installed()})

    def resolve(self, name: str) -> Any:
        """The object for ``name``, importing it on first use; AttributeError if unknown."""
        if name in self._resolved:
            return self._resolved[name]
        target: str | object | None = self._targets.get(name)
        if target is None and not name.startswith("__"):
            target = self._installed().get(name)
        if target is None:
            available = ", ".join(self.names()) or "none yet"
            raise AttributeError(
                f"{self.module_name} has no {name!r} (available: {available})", name=name
            )
        value = _import_target(target, f"{self.module_name}.{name}")
        self._resolved[name] = value
        return value

    def _installed(self) -> dict[str, str]:
        if self._entry_points is None:
            found = entry_points(group=self._entry_point_group)
            self._entry_points = {point.name: point.value for point in found}
        return self._entry_points


def _import_target(target: str | object, public_name: str) -> Any:
    if not isinstance(target, str):
        return target
    module_name, _, attribute = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        error.add_note(f"{public_name} needs {module_name!r}; is its optional extra installed?")
        raise
    value: Any = module
    for part in attribute.split(".") if attribute else []:
        value = getattr(value, part)
    return value
