"""The names a ``master.cfg`` imports: ``from marid.plugins import worker, steps, util, ...``.

This package owns the public vocabulary of configs, with Buildbot's namespace
names so that a migrated ``master.cfg`` only changes its import line. Each
namespace module is a lazy table: a name is imported from its subsystem the
first time a config uses it, and an unknown name raises an ``AttributeError``
listing the names that exist. Nothing else lives here; the classes belong to
their subsystems.
"""

from marid.plugins import changes, reporters, schedulers, secrets, steps, util, worker

__all__ = ["changes", "reporters", "schedulers", "secrets", "steps", "util", "worker"]
