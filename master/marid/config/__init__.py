"""The master's configuration: loading ``master.cfg``, validating it, and diffing reconfigs.

This package owns everything between the operator's ``master.cfg`` and a typed
``MasterConfig``: executing the file in isolation (``loader``), in a thread of
its own within a time limit (``evaluator``), checking every
key and collecting all errors with their file and line (``checks*``,
``errors``, ``keylines``), the ``ConfigObject`` base class that records where
each config object was built (``origin``), port descriptions (``endpoints``),
database and Redis URLs (``urls``), and which services a reconfig must touch
(``diff``). It starts no service: the master reads a ``MasterConfig`` and hands
each section to its service.
"""

from marid.config.errors import ConfigError, ConfigErrors, ErrorCollector
from marid.config.loader import format_errors, load_config
from marid.config.master_config import MasterConfig, MqConfig, WwwConfig
from marid.config.origin import ConfigObject, Origin

__all__ = [
    "ConfigError",
    "ConfigErrors",
    "ConfigObject",
    "ErrorCollector",
    "MasterConfig",
    "MqConfig",
    "Origin",
    "WwwConfig",
    "format_errors",
    "load_config",
]
