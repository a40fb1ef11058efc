"""``from marid.plugins import schedulers``: schedulers for ``c['schedulers']``.

The names below are imported on first use (see ``_registry``). A subsystem
adds its public names to ``_NAMES`` as ``"module:attribute"``; installed
packages add theirs through the ``marid.schedulers`` entry-point group.
"""

from typing import Any

from marid.plugins._registry import Namespace

_NAMES: dict[str, str] = {
    "ForceScheduler": "marid.schedulers.forcesched:ForceScheduler",
    "Triggerable": "marid.schedulers.triggerable:Triggerable",
}

_namespace = Namespace(__name__, _NAMES, entry_point_group="marid.schedulers")
_register = _namespace.register


def __getattr__(name: str) -> Any:
    return _namespace.resolve(name)


def __dir__() -> list[str]:
    return _namespace.names()
