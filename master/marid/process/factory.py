"""``util.BuildFactory``: the ordered steps of a builder.

The factory keeps the step objects of ``master.cfg`` as configuration and
never runs them: ``new_steps()`` gives each build fresh instances made from
the steps' constructor arguments, so no state carries over between builds.
``addStep`` accepts a ``BuildStep`` (a step class, or anything else, is a
config error reported by ``check_config`` with the line that built the
factory). ``workdir`` is the default working directory of the steps
(Buildbot's ``factory.workdir``, ``"build"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from marid.config.origin import ConfigObject
from marid.process.buildstep import BuildStep

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector


class BuildFactory(ConfigObject):
    """An ordered list of steps; ``BuildFactory(steps)`` or ``addStep``/``addSteps``."""

    workdir: Any = "build"

    def __init__(self, steps: Iterable[Any] | None = None) -> None:
        self.steps: list[Any] = []
        if steps is not None:
            self.addSteps(steps)

    def addStep(self, step: Any) -> None:
        self.steps.append(step)

    def addSteps(self, steps: Iterable[Any], withSecrets: list[Any] | None = None) -> None:
        # withSecrets (Buildbot's secret-file helper) is accepted but only its steps are added.
        for step in steps:
            self.addStep(step)

    def new_steps(self) -> list[BuildStep]:
        """Fresh step instances for one build, in order."""
        return [step.new_instance() for step in self.steps]

    def check_config(self, errors: ErrorCollector) -> None:
        for index, step in enumerate(self.steps):
            if isinstance(step, type) and issubclass(step, BuildStep):
                errors.add(
                    f"step {index + 1} is the class {step.__name__}, not a step: "
                    f"write {step.__name__}(...)",
                    key="builders",
                    about=self,
                )
            elif not isinstance(step, BuildStep):
                errors.add(
                    f"step {index + 1} must be a step (steps.ShellCommand(...) ...), "
                    f"not {type(step).__name__}",
                    key="builders",
                    about=self,
                )
            else:
                step.check_config(errors)
