"""Schedulers: the objects of ``c['schedulers']`` that turn events into buildsets.

This package owns the scheduler base class (``base``: configuration, the
one-master claim, the enabled flag and ``add_buildset_for_sourcestamps``),
the force scheduler and its form parameters (``forcesched``,
``forceparams``, ``forcenested``), the ``Triggerable`` scheduler that
``Trigger`` steps call (``triggerable``), and the ``SchedulerManager`` that
starts, stops and replaces schedulers on reconfig (``manager``). Errors are
in ``errors``. Buildsets are only ever written through the data API.
"""
