"""Renderables: render(), Property, @renderer, Transform, FlattenList and their config checks."""

from __future__ import annotations

import os.path
from collections import namedtuple
from typing import Any

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

from marid.config.errors import ErrorCollector
from marid.process.interpolate import Interpolate
from marid.process.properties import IProperties, Properties
from marid.process.renderables import (
    FlattenList,
    Property,
    Renderable,
    RenderError,
    Transform,
    check_renderables,
    is_renderable,
    render,
    renderer,
)


def resolved(coro: Any) -> Any:
    """The result of a coroutine that finishes without waiting on anything."""
    outcome: list[Any] = []
    defer.Deferred.fromCoroutine(coro).addBoth(outcome.append)
    assert outcome, "the coroutine is still waiting"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


def props_of(**values: Any) -> Properties:
    return Properties(values, "test")


def errors_of(value: Any) -> list[str]:
    errors = ErrorCollector("master.cfg")
    check_renderables(value, errors)
    return [error.message for error in errors.errors]


class Upper(Renderable):
    async def getRenderingFor(self, props: IProperties) -> Any:
        return str(props.getProperty("name")).upper()


class DuckTyped:
    """A Buildbot-style renderable: no base class, a plain method."""

    def getRenderingFor(self, props: IProperties) -> Any:
        return "duck"


class ViaDeferred:
    def getRenderingFor(self, props: IProperties) -> defer.Deferred[str]:
        return defer.succeed("deferred")


# render() and is_renderable()


def test_is_renderable_accepts_subclasses_and_duck_typed_objects() -> None:
    assert is_renderable(Upper())
    assert is_renderable(DuckTyped())
    assert is_renderable(Property("x"))


def test_is_renderable_rejects_plain_values_and_renderable_classes() -> None:
    assert not is_renderable("text")
    assert not is_renderable([Property("x")])
    assert not is_renderable(DuckTyped)


def test_render_awaits_async_sync_and_deferred_renderings() -> None:
    props = props_of(name="marid")

    assert resolved(render([Upper(), DuckTyped(), ViaDeferred()], props)) == [
        "MARID",
        "duck",
        "deferred",
    ]


def test_render_walks_tuples_dicts_and_keys() -> None:
    props = props_of(k="key", v="value")

    value = {Property("k"): (Property("v"), 1), "plain": {"deep": [Property("v")]}}

    assert resolved(render(value, props)) == {"key": ("value", 1), "plain": {"deep": ["value"]}}


def test_render_keeps_namedtuples() -> None:
    Pair = namedtuple("Pair", "left right")

    rendered = resolved(render(Pair(Property("a"), 2), props_of(a=1)))

    assert rendered == Pair(1, 2) and type(rendered) is Pair


def test_render_leaves_other_values_untouched() -> None:
    marker = object()
    assert resolved(render(marker, props_of())) is marker
    assert resolved(render({1, 2}, props_of())) == {1, 2}


def test_a_rendering_that_is_itself_renderable_is_rendered_again() -> None:
    @renderer
    def command(props: IProperties) -> list[Any]:
        return ["make", Interpolate("-j%(prop:jobs)s")]

    assert resolved(render(command, props_of(jobs=4))) == ["make", "-j4"]


def test_a_renderable_returning_itself_is_stopped_with_a_clear_error() -> None:
    class Loop(Renderable):
        async def getRenderingFor(self, props: IProperties) -> Any:
            return self

    with pytest.raises(RenderError, match="does it return itself"):
        resolved(render(Loop(), props_of()))


# Property


def test_property_renders_the_value() -> None:
    assert resolved(render(Property("branch"), props_of(branch="main"))) == "main"


def test_property_uses_the_default_when_missing() -> None:
    assert resolved(render(Property("branch", default="trunk"), props_of())) == "trunk"


def test_property_uses_the_default_when_false_by_default() -> None:
    assert resolved(render(Property("warnings", default="none"), props_of(warnings=0))) == "none"


def test_property_keeps_a_false_value_without_default_when_false() -> None:
    prop = Property("warnings", default="none", defaultWhenFalse=False)

    assert resolved(render(prop, props_of(warnings=0))) == 0
    assert resolved(render(prop, props_of())) == "none"


def test_property_default_may_be_a_renderable() -> None:
    prop = Property("command", default=Property("default-command"))

    assert resolved(render(prop, props_of(**{"default-command": "make"}))) == "make"


def test_missing_property_without_default_renders_none() -> None:
    assert resolved(render(Property("x"), props_of())) is None


def test_property_records_the_config_line_that_made_it() -> None:
    prop = Property("x")

    assert prop.config_origin is not None
    assert prop.config_origin.filename == __file__


# @renderer


def test_renderer_calls_the_function_with_the_properties() -> None:
    @renderer
    def jobs(props: IProperties) -> str:
        return f"-j{props.getProperty('cpus', 1) + 1}"

    assert resolved(render(jobs, props_of(cpus=3))) == "-j4"


def test_renderer_accepts_async_functions() -> None:
    @renderer
    async def name(props: IProperties) -> str:
        return await defer.succeed("async")

    assert resolved(render(name, props_of())) == "async"


def test_renderer_with_args_passes_rendered_extra_arguments() -> None:
    @renderer
    def make(props: IProperties, target: str, *, jobs: int) -> list[str]:
        return ["make", f"-j{jobs}", target]

    bound = make.withArgs(Property("target")).withArgs(jobs=Property("jobs"))

    assert resolved(render(bound, props_of(target="all", jobs=2))) == ["make", "-j2", "all"]
    assert make.args == () and make.kwargs == {}


def test_renderer_exceptions_propagate() -> None:
    @renderer
    def broken(props: IProperties) -> None:
        raise ValueError("no")

    with pytest.raises(ValueError, match="no"):
        resolved(render(broken, props_of()))


# Transform


def test_transform_calls_the_function_on_rendered_arguments() -> None:
    rel = Transform(os.path.relpath, Property("path"), start=Property("builddir"))

    assert resolved(render(rel, props_of(path="/b/src/x", builddir="/b"))) == "src/x"


def test_transform_function_may_come_from_a_renderable() -> None:
    @renderer
    def pick(props: IProperties) -> Any:
        return str.upper

    assert resolved(render(Transform(pick, "abc"), props_of())) == "ABC"


def test_transform_whose_function_renders_to_a_non_callable_fails_clearly() -> None:
    with pytest.raises(RenderError, match="not a callable"):
        resolved(render(Transform(Property("f"), 1), props_of(f="text")))


def test_transform_with_a_non_callable_is_a_config_error() -> None:
    assert errors_of(Transform(42)) == [
        "Transform needs a callable or a renderable producing one, not 42"
    ]


# FlattenList


def test_flatten_list_splices_nested_lists_and_tuples() -> None:
    flat = FlattenList(["make ", ["done", ("a", ["b"])], Property("extra")])

    assert resolved(render(flat, props_of(extra=["c", ["d"]]))) == [
        "make ",
        "done",
        "a",
        "b",
        "c",
        "d",
    ]


def test_flatten_list_only_flattens_the_given_types() -> None:
    flat = FlattenList(["a", ("b", "c"), ["d"]], types=list)

    assert resolved(render(flat, props_of())) == ["a", ("b", "c"), "d"]


def test_flatten_list_returns_a_non_list_rendering_as_it_is() -> None:
    assert resolved(render(FlattenList(Property("x")), props_of(x="single"))) == "single"


# check_renderables


def test_check_renderables_finds_bad_renderables_at_any_depth() -> None:
    value = {"command": ["echo", Interpolate("%(prop:x")], "env": {"A": Property("")}}

    messages = errors_of(value)

    assert len(messages) == 2
    assert any("Interpolate('%(prop:x')" in m for m in messages)
    assert "Property needs a property name, not ''" in messages


def test_check_renderables_looks_inside_renderables() -> None:
    assert len(errors_of(Property("x", default=Interpolate("%(bogus)s")))) == 1
    assert len(errors_of(Transform(str, Interpolate("%(nope:x)s")))) == 1


def test_config_errors_point_at_the_line_that_built_the_renderable() -> None:
    errors = ErrorCollector("master.cfg")
    bad = Property("")
    check_renderables(bad, errors)

    assert errors.errors[0].filename == __file__
