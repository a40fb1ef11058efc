"""Properties: values with sources, JSON-only, and rendering against themselves."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

from marid.process.properties import IProperties, Properties, RenderContext
from marid.process.renderables import Property


def resolved(coro: Any) -> Any:
    """The result of a coroutine that finishes without waiting on anything."""
    outcome: list[Any] = []
    defer.Deferred.fromCoroutine(coro).addBoth(outcome.append)
    assert outcome, "the coroutine is still waiting"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


def test_get_property_returns_the_value_or_the_default() -> None:
    props = Properties({"branch": "main"}, "Scheduler")

    assert props.getProperty("branch") == "main"
    assert props.getProperty("missing") is None
    assert props.getProperty("missing", "dflt") == "dflt"


def test_set_property_records_the_source() -> None:
    props = Properties()
    props.setProperty("got_revision", "abc", "Git")

    assert props.getPropertySource("got_revision") == "Git"
    assert props.hasProperty("got_revision")
    assert not props.hasProperty("other")


def test_the_last_setting_wins_with_its_source() -> None:
    props = Properties({"x": 1}, "global")
    props.setProperty("x", 2, "builder")

    assert props.asDict() == {"x": (2, "builder")}


def test_source_of_a_missing_property_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        Properties().getPropertySource("nope")


def test_mapping_style_access() -> None:
    props = Properties({"a": 1, "b": [1, 2]}, "test")

    assert props["a"] == 1
    assert "b" in props and "c" not in props
    assert list(props.keys()) == ["a", "b"]
    with pytest.raises(KeyError):
        props["c"]


def test_as_list_and_as_dict_carry_values_and_sources() -> None:
    props = Properties()
    props.update({"a": 1, "b": "two"}, "Change")

    assert props.asList() == [("a", 1, "Change"), ("b", "two", "Change")]
    assert props.asDict() == {"a": (1, "Change"), "b": ("two", "Change")}


def test_from_dict_round_trips_as_dict() -> None:
    props = Properties({"a": {"nested": [1, None, True]}}, "db")

    assert Properties.from_dict(props.asDict()) == props


@pytest.mark.parametrize("value", [object(), {1, 2}, b"bytes", {"k": object()}, Property("x")])
def test_a_value_that_is_not_json_is_refused_naming_the_property(value: Any) -> None:
    props = Properties()

    with pytest.raises(TypeError, match=r"property 'bad' from 'step'.*not JSON-serialisable"):
        props.setProperty("bad", value, "step")
    assert not props.hasProperty("bad")


def test_a_non_string_source_is_refused() -> None:
    with pytest.raises(TypeError, match="source must be a string"):
        Properties().setProperty("x", 1, None)  # type: ignore[arg-type]


def test_runtime_properties_are_marked() -> None:
    props = Properties({"fixed": 1}, "builder")
    props.setProperty("found", "yes", "SetProperty", runtime=True)

    assert props.runtime == {"found"}


def test_update_from_properties_keeps_sources_and_runtime_marks() -> None:
    other = Properties({"a": 1}, "scheduler")
    other.setProperty("b", 2, "step", runtime=True)
    props = Properties()
    props.updateFromProperties(other)

    assert props.asDict() == {"a": (1, "scheduler"), "b": (2, "step")}
    assert props.runtime == {"b"}


def test_update_without_runtime_skips_runtime_properties() -> None:
    other = Properties({"a": 1}, "scheduler")
    other.setProperty("b", 2, "step", runtime=True)
    props = Properties()
    props.updateFromPropertiesNoRuntime(other)

    assert props.asDict() == {"a": (1, "scheduler")}


def test_copy_is_independent_and_shares_the_render_context() -> None:
    context = RenderContext(worker_info={"os": "linux"})
    props = Properties({"a": 1}, "x", render_context=context)
    clone = props.copy()
    clone.setProperty("a", 2, "y")

    assert props["a"] == 1
    assert clone.render_context is context


def test_render_renders_renderables_inside_containers() -> None:
    props = Properties({"branch": "main", "n": 3}, "test")

    rendered = resolved(props.render({"b": Property("branch"), "list": [Property("n"), "x"]}))

    assert rendered == {"b": "main", "list": [3, "x"]}


def test_render_leaves_plain_values_alone() -> None:
    assert resolved(Properties().render("plain")) == "plain"


def test_properties_satisfy_the_iproperties_protocol() -> None:
    assert isinstance(Properties(), IProperties)


def test_a_new_properties_has_an_empty_context_and_no_secrets_used() -> None:
    props = Properties()

    assert props, "an empty Properties is still truthy, so `props or default` is safe"

    assert props.render_context == RenderContext()
    assert props.secrets_used == set()
    assert props.getProperties() is props
