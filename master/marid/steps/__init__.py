"""The step library: what a ``BuildFactory`` is made of (``from marid.plugins import steps``).

One module per family: shell commands and their relatives, property steps,
file transfers between master and worker, worker file-system steps, commands
run on the master, source checkouts (``Git``) and ``Trigger``. Every step is
a ``marid.process.buildstep.BuildStep``; ``marid.plugins.steps`` is the
public name table.
"""
