"""``BuildStep`` as configuration: keywords, checks, fresh instances, renderables; the factory."""

from __future__ import annotations

from typing import Any, ClassVar

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep
from marid.process.factory import BuildFactory
from marid.process.interpolate import Interpolate
from marid.process.locks import MasterLock
from marid.process.results import FAILURE, SUCCESS, WARNINGS
from marid.steps.shell import Compile, ShellCommand


class Custom(BuildStep):
    name = "custom"
    renderables: ClassVar[tuple[str, ...]] = ("greeting",)

    def __init__(self, greeting: Any = "hi", **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.greeting = greeting
        self.state: list[str] = []


def errors_of(obj: Any) -> list[str]:
    errors = ErrorCollector("master.cfg")
    obj.check_config(errors)
    return [e.message for e in errors.errors]


def test_unknown_keywords_are_config_errors_naming_the_keyword() -> None:
    step = ShellCommand(command="true", haltOnFailur=True)
    assert errors_of(step) == ["ShellCommand 'shell': unknown argument 'haltOnFailur'"]


def test_bad_common_arguments_are_reported_together() -> None:
    step = Custom(
        doStepIf="yes",
        hideStepIf=3,
        locks=["not a lock"],
        decodeRC={0: 9},
        timeout=-1,
        haltOnFailure="true",
    )
    messages = errors_of(step)
    assert len(messages) == 6
    assert any("doStepIf" in m for m in messages) and any("decodeRC" in m for m in messages)


def test_renderable_and_callable_conditions_are_accepted() -> None:
    lock = MasterLock("l")
    step = Custom(
        doStepIf=lambda s: True,
        hideStepIf=lambda r, s: False,
        locks=[lock.access("exclusive"), lock],
    )
    assert errors_of(step) == []
    assert errors_of(Custom(doStepIf=Interpolate("%(prop:x)s"))) == []
    assert errors_of(Custom(name=Interpolate("%(bad)s"))) != []


def test_flags_given_as_none_keep_the_class_default() -> None:
    assert Compile().haltOnFailure is True
    assert Compile(haltOnFailure=False).haltOnFailure is False
    assert ShellCommand(command="x").flunkOnFailure is True


def test_each_build_gets_a_fresh_instance_with_the_same_arguments() -> None:
    step = Custom(greeting="hello", name="c1")
    fresh = step.new_instance()
    assert fresh is not step and type(fresh) is Custom
    assert (fresh.greeting, fresh.name) == ("hello", "c1")
    fresh.state.append("ran")
    assert step.new_instance().state == []
    assert fresh.config_origin == step.config_origin


def test_renderables_of_all_bases_are_combined() -> None:
    names = Custom.all_renderables()
    assert "greeting" in names and "workdir" in names and names.count("name") == 1


def test_describe_uses_description_done_and_suffix() -> None:
    assert (
        Custom(description="doing", descriptionDone=["did", "it"]).describe(done=True) == "did it"
    )
    assert Custom(description="doing", descriptionSuffix="now").describe() == "doing now"
    assert ShellCommand(command=["echo", "hi"]).describe() == "'echo hi'"


def test_decode_rc_maps_exit_codes() -> None:
    step = Custom(decodeRC={0: SUCCESS, 1: WARNINGS})
    assert step.outcome_of_rc(1) == WARNINGS and step.outcome_of_rc(2) == FAILURE


def test_factory_reports_non_steps_and_step_classes() -> None:
    factory = BuildFactory([ShellCommand(command="true"), ShellCommand, "echo"])
    messages = errors_of(factory)
    assert len(messages) == 2
    assert "ShellCommand(...)" in messages[0] and "not str" in messages[1]


def test_factory_gives_fresh_steps_in_order() -> None:
    factory = BuildFactory()
    factory.addSteps([Custom(name="a"), Custom(name="b")])
    first, second = factory.new_steps(), factory.new_steps()
    assert [s.name for s in first] == ["a", "b"]
    assert first[0] is not second[0] and first[0] is not factory.steps[0]
