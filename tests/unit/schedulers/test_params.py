"""Force form parameters: the JSON the UI draws from, field names, and how posted values parse."""

from __future__ import annotations

from typing import Any, cast

import pytest
import pytest_twisted
from twisted.internet.task import Clock

from marid.plugins import schedulers, util
from marid.schedulers.base import SchedulerContext
from marid.schedulers.errors import ForceValidationError, ValidationError
from marid.schedulers.forceparams import BaseParameter, ValidationErrorCollector
from tests.unit.schedulers.shapes import ENTITY_KEYS, RECORDED_TOP_NEST, RECORDED_USERNAME


def value_of(parameter: BaseParameter, **posted: Any) -> Any:
    return parameter.getFromKwargs(
        {k: v if isinstance(v, list) else [v] for k, v in posted.items()}
    )


async def update(parameter: BaseParameter, **posted: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """``(properties, sourcestamps)`` a parameter produces from ``posted``."""
    properties: dict[str, Any] = {}
    stamps: dict[str, Any] = {}
    collector = ValidationErrorCollector()
    kwargs = {k: v if isinstance(v, list) else [v] for k, v in posted.items()}
    await collector.collect(
        parameter.fullName, parameter.updateFromKwargs, properties, kwargs, collector,
        sourcestamps=stamps,
    )  # fmt: skip
    collector.raise_if_errors()
    return properties, stamps


def test_default_force_form_matches_buildbots_recorded_shape() -> None:
    form = schedulers.ForceScheduler("force", ["hello"]).to_json()

    assert set(form) == ENTITY_KEYS
    assert (form["name"], form["label"], form["button_name"]) == ("force", "force", "force")
    assert form["builder_names"] == ["hello"] and form["enabled"] is True
    top, codebase = form["all_fields"]
    assert {k: v for k, v in top.items() if k != "fields"} == RECORDED_TOP_NEST
    assert top["fields"][0] == RECORDED_USERNAME
    assert [f["fullName"] for f in top["fields"]] == ["username", "reason", "priority"]
    reason, priority = top["fields"][1:]
    assert (reason["type"], reason["default"], reason["size"]) == ("text", "force build", 20)
    assert (priority["type"], priority["default"]) == ("int", 0)
    assert [f["fullName"] for f in codebase["fields"]] == [
        "branch",
        "project",
        "repository",
        "revision",
    ]
    assert codebase["fields"][0]["label"] == "Branch:"


def test_nested_field_names_join_with_underscores_like_buildbots_ui_expects() -> None:
    deep = util.NestedParameter("deep", [util.BooleanParameter("x")])
    options = util.NestedParameter("options", [util.StringParameter("pull_url"), deep])
    anonymous = util.NestedParameter("", [util.StringParameter("plain")])
    lib = util.CodebaseParameter("lib", revision=None, project="fixed")

    assert [f.fullName for f in options.leaves()] == ["options_pull_url", "options_deep_x"]
    assert [f.fullName for f in anonymous.leaves()] == ["plain"]
    assert anonymous.fullName is None and options.fullName == "options"
    assert [f.fullName for f in lib.leaves()] == ["lib_branch", "lib_project", "lib_repository"]
    assert lib.label == "Codebase: lib"
    assert lib.to_json()["fields"][1]["type"] == "fixed"


def test_columns_default_to_two_from_four_visible_fields() -> None:
    three = [util.StringParameter(n) for n in "abc"]
    assert util.NestedParameter("n", three).columns == 1
    assert util.NestedParameter("n", [*three, util.FixedParameter("d")]).columns == 1
    assert util.NestedParameter("n", [*three, util.StringParameter("d")]).columns == 2
    assert util.NestedParameter("n", three, columns=3).columns == 3


def test_string_fields_check_required_regex_and_maxsize() -> None:
    name = util.StringParameter("name", label="Name", required=True, regex=r"^[a-z]+$", maxsize=5)
    assert value_of(name, name="abc") == "abc"
    with pytest.raises(ValidationError, match="a value is required"):
        value_of(name, name="   ")
    with pytest.raises(ValidationError, match="does not match the pattern"):
        value_of(name, name="ABC")
    with pytest.raises(ValidationError, match="6 bytes, more than the 5 allowed"):
        value_of(name, name="abcdef")
    assert value_of(util.TextParameter("t", default="x")) == "x"
    assert util.TextParameter("t").to_json()["cols"] == 80


def test_int_bool_and_fixed_fields_parse_their_values() -> None:
    number = util.IntParameter("n", default=7)
    assert (value_of(number), value_of(number, n="12"), value_of(number, n=3)) == (7, 12, 3)
    for bad in ("1.5", "x", True):
        with pytest.raises(ValidationError, match="is not a whole number"):
            value_of(number, n=bad)
    flag = util.BooleanParameter("f", default=True)
    assert value_of(flag) is True
    assert [value_of(flag, f=v) for v in (False, "yes", "0", "on")] == [False, True, False, True]
    with pytest.raises(ValidationError, match="neither true nor false"):
        value_of(flag, f="maybe")
    assert value_of(util.FixedParameter("x", default="always"), x="posted") == "always"


def test_username_needs_an_email_address_unless_empty() -> None:
    user = util.UserNameParameter()
    assert value_of(user) == ""
    assert value_of(user, username="Ann <ann@example.com>") == "Ann <ann@example.com>"
    with pytest.raises(ValidationError, match="has no email address"):
        value_of(user, username="ann")
    assert value_of(util.UserNameParameter(need_email=False), username="ann") == "ann"


def test_choices_are_strict_unless_told_otherwise() -> None:
    one = util.ChoiceStringParameter("c", choices=["a", "b"], default="a")
    assert value_of(one) == "a" and value_of(one, c="b") == "b"
    with pytest.raises(ValidationError, match="'z' is not one of"):
        value_of(one, c="z")
    many = util.ChoiceStringParameter("m", choices=["a", "b"], multiple=True, default=["a"])
    assert value_of(many) == ["a"] and value_of(many, m=["a", "b"]) == ["a", "b"]
    assert value_of(util.ChoiceStringParameter("c", choices=["a"], strict=False), c="z") == "z"
    assert one.to_json()["choices"] == ["a", "b"] and one.to_json()["strict"] is True


@pytest_twisted.ensureDeferred
async def test_worker_choice_sets_workername_only_for_a_real_choice() -> None:
    worker = util.WorkerChoiceParameter()
    assert (await update(worker))[0] == {}
    assert (await update(worker, workername="-any-"))[0] == {}
    assert (await update(worker, workername="w1"))[0] == {"workername": "w1"}


@pytest_twisted.ensureDeferred
async def test_any_property_takes_its_name_from_the_form_and_checks_both() -> None:
    anyprop = util.AnyPropertyParameter("extra")
    assert (await update(anyprop, extra_name="color", extra_value="red"))[0] == {"color": "red"}
    assert (await update(anyprop, extra_name="", extra_value="red"))[0] == {}
    with pytest.raises(ForceValidationError) as raised:
        await update(anyprop, extra_name="bad name!", extra_value="x")
    assert raised.value.errors == {"extra": "'bad name!' is not an accepted property name"}


@pytest_twisted.ensureDeferred
async def test_nests_give_a_dict_and_codebases_give_a_stamp() -> None:
    nest = util.NestedParameter("opts", [util.IntParameter("jobs"), util.BooleanParameter("clean")])
    assert (await update(nest, opts_jobs="4", opts_clean=True))[0] == {
        "opts": {"jobs": 4, "clean": True}
    }
    lib = util.CodebaseParameter("lib", project=None)
    properties, stamps = await update(lib, lib_branch="dev", lib_revision="abc")
    assert properties == {}
    assert stamps == {"lib": {"branch": "dev", "repository": "", "revision": "abc"}}
    with pytest.raises(ForceValidationError) as raised:
        await update(lib, lib_branch="dev; rm -rf /")
    assert list(raised.value.errors) == ["lib_branch"]


@pytest_twisted.ensureDeferred
async def test_force_reports_every_bad_field_at_once_before_touching_the_database() -> None:
    scheduler = schedulers.ForceScheduler(
        "force",
        ["hello"],
        username=util.UserNameParameter(required=True),
        properties=[
            util.IntParameter("jobs"),
            util.StringParameter("ticket", required=True),
            util.NestedParameter("opts", [util.ChoiceStringParameter("mode", choices=["fast"])]),
        ],
    )
    # No data API at all: validation must fail before anything is read or written.
    scheduler.context = SchedulerContext(data=cast(Any, None), masterid=1, clock=Clock())
    scheduler.schedulerid = 1

    with pytest.raises(ForceValidationError) as raised:
        await scheduler.force(None, jobs="many", opts_mode="slow", priority="high")

    assert sorted(raised.value.errors) == ["jobs", "opts_mode", "priority", "ticket", "username"]
    assert raised.value.errors["jobs"] == "'many' is not a whole number"
    assert raised.value.errors["ticket"] == "a value is required"


def test_text_fields_take_strings_only_and_other_fields_json_scalars() -> None:
    for value in ({"text": "x"}, [["nested"]], 5):
        with pytest.raises(ValidationError, match="must be a string, not"):
            value_of(util.StringParameter("reason"), reason=value)
    with pytest.raises(ValidationError, match="must be a string, not dict"):
        value_of(util.UserNameParameter(need_email=False), username={"a": 1})
    with pytest.raises(ValidationError, match="must be a string, a number or true/false, not dict"):
        value_of(util.ChoiceStringParameter("os", choices=["a"], strict=False), os={"a": 1})
    assert value_of(util.StringParameter("reason"), reason=None) == ""  # null: the default


def test_int_fields_are_64_bit() -> None:
    jobs = util.IntParameter("jobs")
    assert value_of(jobs, jobs=2**63 - 1) == 2**63 - 1
    assert value_of(jobs, jobs="-12") == -12
    with pytest.raises(ValidationError, match="out of range"):
        value_of(jobs, jobs=2**63)
    with pytest.raises(ValidationError, match="is not a whole number"):
        value_of(jobs, jobs="9" * 5000)
    with pytest.raises(ValidationError, match="must be a whole number, not float"):
        value_of(jobs, jobs=1.5)


@pytest_twisted.ensureDeferred
async def test_any_property_refuses_lists_and_objects() -> None:
    extra = util.AnyPropertyParameter("extra")
    with pytest.raises(ForceValidationError, match="the property's name must be a string, not d"):
        await update(extra, extra_name={"a": 1}, extra_value="v")
    with pytest.raises(ForceValidationError, match="the property's value must be a string, not"):
        await update(extra, extra_name="n", extra_value=[["v"]])


def test_a_force_form_accepts_its_fields_and_what_starts_with_their_names() -> None:
    form = schedulers.ForceScheduler(
        "f", ["b"], properties=[util.AnyPropertyParameter("extra"), util.IntParameter("jobs")]
    )
    for name in ("reason", "username", "priority", "branch", "jobs", "extra_name", "extra_value"):
        assert form.accepts(name), name
    for name in ("properties", "reasons", "job", ""):
        assert not form.accepts(name), name
