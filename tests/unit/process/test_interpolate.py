"""Interpolate and WithProperties: selectors, operators, positional args, secrets and errors."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet import defer
from twisted.python.failure import Failure

from marid.config.errors import ErrorCollector
from marid.process.formatstring import Field, FormatError, Text, scan, split_top_level
from marid.process.interpolate import Interpolate, WithProperties
from marid.process.properties import Properties, RenderContext
from marid.process.renderables import Property, RenderError, render, renderer


def resolved(coro: Any) -> Any:
    """The result of a coroutine that finishes without waiting on anything."""
    outcome: list[Any] = []
    defer.Deferred.fromCoroutine(coro).addBoth(outcome.append)
    assert outcome, "the coroutine is still waiting"
    if isinstance(outcome[0], Failure):
        outcome[0].raiseException()
    return outcome[0]


SECRETS = {"token": "s3cr3t", "user": "bot"}


async def lookup_secret(name: str) -> str | None:
    return SECRETS.get(name)


def make_props(**values: Any) -> Properties:
    context = RenderContext(
        sourcestamps={
            "": {"revision": "abc123", "branch": "main", "repository": "https://git/x"},
            "lib": {"revision": "def456", "branch": None},
        },
        worker_info={"os": "linux", "admin": "ops@example.org", "empty": ""},
        secrets=lookup_secret,
    )
    return Properties(values, "test", render_context=context)


def interpolate(fmt: str, *args: Any, props: Properties | None = None, **kwargs: Any) -> str:
    result: str = resolved(
        render(Interpolate(fmt, *args, **kwargs), make_props() if props is None else props)
    )
    return result


def config_errors(renderable: Any) -> list[str]:
    errors = ErrorCollector("master.cfg")
    renderable.check_config(errors)
    return [error.message for error in errors.errors]


# selectors


def test_interpolate_substitutes_a_property() -> None:
    assert interpolate(
        "REVISION=%(prop:got_revision)s", props=make_props(got_revision="12098")
    ) == ("REVISION=12098")


def test_interpolate_renders_a_missing_property_as_empty() -> None:
    assert interpolate("[%(prop:missing)s]") == "[]"


def test_interpolate_reads_the_default_codebase_with_an_empty_codebase() -> None:
    assert interpolate("%(src::branch)s@%(src::revision)s") == "main@abc123"


def test_interpolate_reads_a_named_codebase() -> None:
    assert interpolate("%(src:lib:revision)s") == "def456"


def test_interpolate_treats_a_none_source_stamp_attribute_as_missing() -> None:
    assert interpolate("%(src:lib:branch:-default)s") == "default"
    assert interpolate("%(src:nocodebase:branch:-none)s") == "none"


def test_interpolate_substitutes_keyword_arguments_which_may_be_renderables() -> None:
    props = make_props(who="me")

    assert interpolate(
        "-d %(kw:data)s by %(kw:who)s", data="extra", who=Property("who"), props=props
    ) == ("-d extra by me")


def test_interpolate_renders_a_keyword_used_twice_only_once() -> None:
    calls: list[int] = []

    @renderer
    def counted(props: Any) -> str:
        calls.append(1)
        return "v"

    assert interpolate("%(kw:x)s%(kw:x)s", x=counted) == "vv"
    assert len(calls) == 1


def test_interpolate_reads_worker_info() -> None:
    assert interpolate("%(worker:os)s by %(worker:admin)s") == "linux by ops@example.org"


def test_interpolate_looks_up_secrets_and_records_their_values() -> None:
    props = make_props()

    assert interpolate("%(secret:user)s:%(secret:token)s", props=props) == "bot:s3cr3t"
    assert props.secrets_used == {"bot", "s3cr3t"}


def test_interpolate_fails_clearly_for_an_unknown_secret() -> None:
    with pytest.raises(
        RenderError,
        match=r"Interpolate\('%\(secret:nope\)s'\): no secret provider knows the secret 'nope'",
    ):
        interpolate("%(secret:nope)s")


def test_interpolate_allows_a_default_for_an_unknown_secret() -> None:
    assert interpolate("%(secret:nope:-anonymous)s") == "anonymous"


def test_interpolate_of_a_secret_without_providers_is_an_error() -> None:
    props = Properties()

    with pytest.raises(RenderError, match="no secret providers are available"):
        interpolate("%(secret:token)s", props=props)


def test_interpolate_waits_for_an_asynchronous_secret_lookup() -> None:
    pending: defer.Deferred[str | None] = defer.Deferred()
    props = Properties(render_context=RenderContext(secrets=lambda name: pending))
    result: list[str] = []
    defer.Deferred.fromCoroutine(render(Interpolate("pw=%(secret:pw)s"), props)).addCallback(
        result.append
    )

    assert result == []
    pending.callback("hunter2")
    assert result == ["pw=hunter2"]
    assert props.secrets_used == {"hunter2"}


# operators


def test_interpolate_uses_default_when_property_missing() -> None:
    assert interpolate("%(prop:x:-fallback)s") == "fallback"


def test_interpolate_default_does_not_apply_to_a_false_but_set_property() -> None:
    assert interpolate("[%(prop:x:-fallback)s]", props=make_props(x="")) == "[]"


def test_interpolate_empty_default_is_allowed() -> None:
    assert interpolate("[%(prop:x:-)s]") == "[]"


def test_interpolate_tilde_uses_default_when_property_false() -> None:
    assert interpolate("%(prop:x:~fallback)s", props=make_props(x="")) == "fallback"
    assert interpolate("%(prop:x:~fallback)s", props=make_props(x=0)) == "fallback"
    assert interpolate("%(prop:x:~fallback)s", props=make_props(x="set")) == "set"
    assert interpolate("%(prop:x:~fallback)s") == "fallback"


def test_interpolate_plus_gives_the_alternative_when_present_else_empty() -> None:
    assert interpolate("[%(prop:x:+yes)s]", props=make_props(x="")) == "[yes]"
    assert interpolate("[%(prop:x:+yes)s]") == "[]"


def test_interpolate_question_chooses_on_presence() -> None:
    fmt = "%(prop:x:?|present|missing)s"

    assert interpolate(fmt, props=make_props(x=False)) == "present"
    assert interpolate(fmt) == "missing"


def test_interpolate_hash_question_chooses_on_truth() -> None:
    fmt = "%(prop:release:#?|--release|--debug)s"

    assert interpolate(fmt, props=make_props(release=True)) == "--release"
    assert interpolate(fmt, props=make_props(release=False)) == "--debug"
    assert interpolate(fmt) == "--debug"


def test_interpolate_conditional_may_use_any_delimiter_but_a_parenthesis() -> None:
    assert interpolate("%(prop:x:#?/a|b/c)s", props=make_props(x=1)) == "a|b"
    assert "delimiter" in config_errors(Interpolate("%(prop:x:?(a(b)))s"))[0]


def test_interpolate_defaults_may_hold_further_substitutions() -> None:
    fmt = "REVISION=%(prop:got_revision:-%(src::revision:-unknown)s)s"

    assert interpolate(fmt) == "REVISION=abc123"
    assert interpolate(fmt, props=Properties()) == "REVISION=unknown"


def test_interpolate_conditional_alternatives_may_hold_substitutions() -> None:
    fmt = "%(prop:tag:?|v%(prop:tag)s|%(src::revision)s)s"

    assert interpolate(fmt, props=make_props(tag="1.0")) == "v1.0"
    assert interpolate(fmt) == "abc123"


def test_interpolate_operators_work_with_every_selector() -> None:
    assert interpolate("%(kw:x:-none)s") == "none"
    assert interpolate("%(worker:empty:~unset)s|%(worker:gone:-absent)s") == "unset|absent"
    assert interpolate("%(src::branch:+has-branch)s") == "has-branch"


def test_interpolate_keeps_conversion_flags_and_literal_percent() -> None:
    props = make_props(n=7, ratio=0.5)

    assert interpolate("%(prop:n)03d|%(prop:ratio).2f|100%%|%(prop:n)r", props=props) == (
        "007|0.50|100%|7"
    )


def test_interpolate_with_a_value_unfit_for_the_conversion_names_the_format() -> None:
    with pytest.raises(
        RenderError, match=r"Interpolate\('n=%\(prop:n\)d'\): cannot format 'seven'"
    ):
        interpolate("n=%(prop:n)d", props=make_props(n="seven"))


# positional arguments


def test_interpolate_fills_positional_placeholders_from_rendered_arguments() -> None:
    props = make_props(warnings=3, errors=1)

    assert interpolate(
        "%d warnings and %d errors", Property("warnings"), Property("errors"), props=props
    ) == ("3 warnings and 1 errors")


def test_interpolate_cannot_mix_positional_and_keyed_placeholders() -> None:
    messages = config_errors(Interpolate("foo-%(src::revision)s-%s", "branch"))

    assert messages == [
        "Interpolate('foo-%(src::revision)s-%s'): use either %(...)s substitutions "
        "or positional %s, not both"
    ]


def test_interpolate_counts_positional_arguments() -> None:
    assert (
        "2 positional placeholder(s) but 1 argument(s)"
        in config_errors(Interpolate("%s %s", "a"))[0]
    )
    assert "0 positional placeholder(s) but 1" in config_errors(Interpolate("plain", "a"))[0]


# format errors


@pytest.mark.parametrize(
    ("fmt", "message"),
    [
        ("%(prop:x)", "needs a conversion such as 's'"),
        ("%(prop:x", "unbalanced parentheses"),
        ("%(branch)s", "has no selector; write %(prop:branch)s"),
        ("%(foo:bar)s", "unknown selector 'foo'"),
        ("%(src:revision)s", "needs a codebase and an attribute"),
        ("%(prop:)s", "names no prop key"),
        ("%(prop:x:*y)s", "unknown operator '*'"),
        ("%(prop:x:?|only)s", "needs exactly two alternatives"),
        ("%(prop:x:-%s)s", "positional '%s' is not allowed"),
        ("50%", "not a complete placeholder"),
    ],
)
def test_interpolate_reports_a_bad_format_naming_it(fmt: str, message: str) -> None:
    bad = Interpolate(fmt)

    (error,) = config_errors(bad)
    assert error.startswith(f"Interpolate({fmt!r}): ")
    assert message in error
    with pytest.raises(RenderError, match="Interpolate"):
        interpolate(fmt)


def test_interpolate_checks_its_renderable_arguments() -> None:
    assert config_errors(Interpolate("%(kw:x)s", x=Property(""))) == [
        "Property needs a property name, not ''"
    ]


def test_a_valid_interpolate_has_no_config_errors() -> None:
    assert config_errors(Interpolate("%(prop:a:-%(kw:b)s)s-%(src::revision)s", b=1)) == []


def test_interpolate_of_a_non_string_is_a_config_error() -> None:
    assert "must be a string" in config_errors(Interpolate(42))[0]  # type: ignore[arg-type]


# the format scanner


def test_scan_cuts_text_keyed_and_positional_fields() -> None:
    assert scan("a%%b%(k(x))-5sc%d") == [
        Text("a%b"),
        Field("k(x)", "-5s", "%(k(x))-5s"),
        Text("c"),
        Field(None, "d", "%d"),
    ]


def test_split_top_level_ignores_delimiters_inside_parentheses() -> None:
    assert split_top_level("a|%(prop:x:?|1|2)s|b", "|") == ["a", "%(prop:x:?|1|2)s", "b"]


def test_scan_error_is_a_value_error() -> None:
    with pytest.raises(FormatError):
        scan("%")
    assert issubclass(FormatError, ValueError)


# WithProperties


def withprops(fmt: str, *args: str, props: Properties | None = None, **subs: Any) -> str:
    result: str = resolved(
        render(WithProperties(fmt, *args, **subs), make_props() if props is None else props)
    )
    return result


def test_with_properties_positional_names_properties() -> None:
    props = make_props(branch="main", revision="a7d3")

    assert withprops("build-%s-%s.tar.gz", "branch", "revision", props=props) == (
        "build-main-a7d3.tar.gz"
    )


def test_with_properties_dict_style_names_properties_directly() -> None:
    assert withprops("REVISION=%(got_revision)s", props=make_props(got_revision=5)) == "REVISION=5"


def test_with_properties_renders_missing_and_none_as_empty() -> None:
    assert withprops("[%(missing)s][%(none)s]", props=make_props(none=None)) == "[][]"
    assert withprops("[%s]", "missing") == "[]"


def test_with_properties_operators_take_literal_replacements() -> None:
    props = make_props(empty="", full="x")

    assert (
        withprops("%(missing:-d)s|%(empty:-d)s|%(empty:~d)s|%(full:~d)s", props=props) == "d||d|x"
    )
    assert withprops("[%(full:+yes)s][%(missing:+yes)s]", props=props) == "[yes][]"


def test_with_properties_keyword_functions_receive_the_properties() -> None:
    props = make_props(n=2)

    assert withprops("%(double)s", double=lambda p: p["n"] * 2, props=props) == "4"
    assert withprops("%(has)s", has=lambda p: "n" in p and p.get("m", "-"), props=props) == "-"


def test_with_properties_rejects_mixed_styles_and_unknown_operators() -> None:
    assert "not both" in config_errors(WithProperties("%(a)s-%s", "b"))[0]
    assert "unknown operator '?'" in config_errors(WithProperties("%(a:?|x|y)s"))[0]
    assert "1 positional placeholder(s) but 0" in config_errors(WithProperties("%s"))[0]


def test_with_properties_keywords_must_be_functions() -> None:
    assert config_errors(WithProperties("%(x)s", x="text")) == [  # type: ignore[arg-type]
        "WithProperties keyword 'x' must be a function"
    ]


def test_an_empty_secret_is_not_recorded_for_redaction() -> None:
    async def empty(name: str) -> str | None:
        return ""

    props = Properties(render_context=RenderContext(secrets=empty))

    assert interpolate("[%(secret:blank)s]", props=props) == "[]"
    assert props.secrets_used == set()


def test_a_format_error_does_not_reveal_a_secret() -> None:
    with pytest.raises(RenderError) as raised:
        interpolate("%(secret:token)d")

    assert "s3cr3t" not in str(raised.value)
    assert "cannot format '<secret>'" in str(raised.value)
