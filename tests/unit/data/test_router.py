"""Paths are matched to endpoint patterns with typed arguments."""

import pytest

from marid.data.errors import InvalidQueryError
from marid.data.router import Router, compile_pattern


def make_router() -> Router[str]:
    router: Router[str] = Router()
    router.add("builders", "builders")
    router.add("builders/n:builderid", "builder-by-id")
    router.add("builders/i:buildername", "builder-by-name")
    router.add("builders/n:builderid/builds/n:number", "build-by-number")
    router.add("logs/n:logid/raw", "raw")
    return router


def test_integer_segment_wins_over_identifier() -> None:
    assert make_router().match(("builders", "7")) == ("builder-by-id", {"builderid": 7})


def test_identifier_segment_matches_names() -> None:
    assert make_router().match(("builders", "linux-x86_64.2")) == (
        "builder-by-name",
        {"buildername": "linux-x86_64.2"},
    )


def test_nested_arguments_are_converted() -> None:
    assert make_router().match(("builders", "3", "builds", "12")) == (
        "build-by-number",
        {"builderid": 3, "number": 12},
    )


def test_unknown_paths_do_not_match() -> None:
    router = make_router()
    assert router.match(("nosuch",)) is None
    assert router.match(("builders", "3", "builds", "x")) is None
    assert router.match(("logs", "-1", "raw")) is None


def test_bad_pattern_kind_is_rejected() -> None:
    with pytest.raises(ValueError, match="bad pattern segment"):
        compile_pattern("builders/x:oops")


def test_integer_segments_take_ascii_digits_only() -> None:
    assert make_router().match(("builders", "\u00b2")) is None  # a digit to str.isdigit
    assert make_router().match(("builders", "\u0661")) is None  # an Arabic-Indic one


def test_a_number_beyond_64_bits_is_a_query_error_not_a_miss() -> None:
    router = make_router()
    assert router.match(("builders", "9223372036854775807")) == (
        "builder-by-id",
        {"builderid": 9223372036854775807},
    )
    with pytest.raises(InvalidQueryError, match="builderid 9223372036854775808 is out of range"):
        router.match(("builders", "9223372036854775808"))
    with pytest.raises(InvalidQueryError, match=r"logid 1000000000.*out of range"):
        router.match(("logs", "1" + "0" * 5000, "raw"))
