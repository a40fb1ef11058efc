"""``from marid.plugins import reporters``: status reporters for ``c['services']``:
mail, HTTP push, forge statuses.

The names below are imported on first use (see ``_registry``). A subsystem
adds its public names to ``_NAMES`` as ``"module:attribute"``; installed
packages add theirs through the ``marid.reporters`` entry-point group.
"""

from typing import Any

from marid.plugins._registry import Namespace

_NAMES: dict[str, str] = {}

_namespace = Namespace(__name__, _NAMES, entry_point_group="marid.reporters")
_register = _namespace.register


def __getattr__(name: str) -> Any:
    return _namespace.resolve(name)


def __dir__() -> list[str]:
    return _namespace.names()
