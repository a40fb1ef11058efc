"""``from marid.plugins import worker``: worker classes for ``c['workers']``
(``worker.Worker``, latent workers).

The names below are imported on first use (see ``_registry``). A subsystem
adds its public names to ``_NAMES`` as ``"module:attribute"``; installed
packages add theirs through the ``marid.worker`` entry-point group.
"""

from typing import Any

from marid.plugins._registry import Namespace

_NAMES: dict[str, str] = {
    "Worker": "marid.workers.config:Worker",
    "LocalWorker": "marid.workers.config:LocalWorker",
}

_namespace = Namespace(__name__, _NAMES, entry_point_group="marid.worker")
_register = _namespace.register


def __getattr__(name: str) -> Any:
    return _namespace.resolve(name)


def __dir__() -> list[str]:
    return _namespace.names()
