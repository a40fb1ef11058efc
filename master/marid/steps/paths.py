"""Path rules shared by the steps: master paths, work directories, worker path style.

- A master path (``masterdest``, ``mastersrc``, ``MasterShellCommand``'s
  ``workdir``) is expanded (``~``) and taken relative to the master's base
  directory unless it is absolute.
- A step's work directory is its own ``workdir``, else the factory's
  (``BuildFactory.workdir``, ``"build"``), relative to the builder directory
  on the worker.
- Worker paths are split in the worker's own style: ``\\`` on Windows
  workers (``system == "nt"``), ``/`` elsewhere.
"""

from __future__ import annotations

import ntpath
import os
import posixpath
from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from marid.process.buildstep import BuildStep

DEFAULT_WORKDIR = "build"


def master_path(basedir: str, path: str) -> str:
    """``path`` on the master: ``~`` expanded, relative to ``basedir`` unless absolute."""
    return os.path.normpath(os.path.join(basedir, os.path.expanduser(path)))


def step_workdir(step: BuildStep) -> str:
    """The (rendered) work directory of ``step`` in its running build."""
    if isinstance(step.workdir, str) and step.workdir:
        return step.workdir
    workdir = getattr(step.build, "workdir", None)
    if not isinstance(workdir, str) or not workdir:
        builder = getattr(step.build, "builder", None)
        factory = getattr(getattr(builder, "config", None), "factory", None)
        workdir = getattr(factory, "workdir", None)
    return workdir if isinstance(workdir, str) and workdir else DEFAULT_WORKDIR


def worker_pathmodule(step: BuildStep) -> ModuleType:
    """``ntpath`` for a Windows worker, ``posixpath`` otherwise."""
    return ntpath if step.worker_info.get("system") == "nt" else posixpath


def worker_basename(step: BuildStep, path: str) -> str:
    """The last component of a worker path, in the worker's own path style."""
    module = worker_pathmodule(step)
    return str(module.basename(module.normpath(path)))
