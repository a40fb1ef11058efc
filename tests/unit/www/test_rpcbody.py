"""JSON-RPC bodies: parsed within a nesting limit, params measured against their limits."""

from __future__ import annotations

import pytest

from marid.www.rpcbody import BodyError, BodyLimits, decode, depth, param_problems

LIMITS = BodyLimits(max_json_depth=4, max_reason_length=10, max_field_length=20)


def test_depth_counts_nested_lists_and_objects_without_recursion() -> None:
    assert depth(5) == 0
    assert depth([]) == 1
    assert depth({"a": [1, {"b": []}]}) == 4
    deep: list[object] = []
    for _ in range(100_000):
        deep = [deep]
    assert depth(deep) == 100_001


def test_a_body_at_the_limit_is_parsed() -> None:
    assert decode(b'{"a": [[{"b": 1}]]}', LIMITS) == {"a": [[{"b": 1}]]}
    # many brackets side by side are not deep
    assert decode(b"[" + b",".join([b"[]"] * 50) + b"]", LIMITS) == [[]] * 50


@pytest.mark.parametrize("levels", [5, 1000, 100_000])
def test_a_body_deeper_than_the_limit_is_refused(levels: int) -> None:
    with pytest.raises(BodyError, match="nests deeper than 4 levels"):
        decode(b"[" * levels + b"]" * levels, LIMITS)


def test_brackets_inside_strings_do_not_count() -> None:
    assert decode(b'{"reason": "[[[[[[[[[[{{{{{{"}', LIMITS) == {"reason": "[[[[[[[[[[{{{{{{"}


def test_bodies_that_are_not_json_or_not_utf8_are_refused() -> None:
    with pytest.raises(BodyError, match="invalid JSON"):
        decode(b"{not json", LIMITS)
    with pytest.raises(BodyError, match="not UTF-8"):
        decode(b'"\xff"', LIMITS)


def test_reasons_and_other_params_have_their_own_limits() -> None:
    params = {"reason": "r" * 11, "comments": "c" * 10, "branch": "b" * 21, "ok": "o" * 20}
    assert param_problems(params, LIMITS) == {
        "reason": "11 characters, more than the 10 allowed",
        "branch": "21 characters, more than the 20 allowed",
    }


def test_lists_and_long_names_are_measured_too() -> None:
    assert list(param_problems({"tags": ["a" * 10, "b" * 10]}, LIMITS)) == ["tags"]
    problems = param_problems({"n" * 21: "x"}, LIMITS)
    assert list(problems.values()) == ["the name is longer than 20 characters"]
