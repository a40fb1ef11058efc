"""Stand-ins for the config objects of subsystems that the config layer only duck-types."""

from __future__ import annotations

from typing import Any

from marid.config.errors import ErrorCollector
from marid.config.origin import ConfigObject


class Worker(ConfigObject):
    def __init__(self, name: Any, password: str = "pass") -> None:
        self.name = name
        self.password = password


class Builder(ConfigObject):
    def __init__(self, name: Any, workernames: Any = (), factory: Any = None) -> None:
        self.name = name
        self.workernames = list(workernames)
        self.factory = factory


class Scheduler(ConfigObject):
    def __init__(self, name: Any, builderNames: Any = ()) -> None:
        self.name = name
        self.builderNames = list(builderNames)


class FussyService(ConfigObject):
    """A service whose own check finds two problems."""

    def __init__(self, name: str) -> None:
        self.name = name

    def check_config(self, errors: ErrorCollector) -> None:
        errors.add("first problem", about=self)
        errors.add("second problem", about=self)


class BrokenCheckService(ConfigObject):
    def __init__(self, name: str) -> None:
        self.name = name

    def check_config(self, errors: ErrorCollector) -> None:
        raise RuntimeError("bug in the check")


class AddWorkerConfigurator:
    """A configurator in the style of Buildbot's: it edits the config dict."""

    def __init__(self, name: str) -> None:
        self.name = name

    def configure(self, config_dict: dict[str, Any]) -> None:
        config_dict.setdefault("workers", []).append(Worker(self.name))
