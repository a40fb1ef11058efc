"""REST query parameters become a typed Query, and bad ones a clear 400 error."""

import pytest

from marid.data.errors import InvalidQueryError
from marid.data.resultspec import parse_args
from marid.db.query import Filter
from marid.db.workers import FIELDS


def test_filters_are_converted_to_the_field_type() -> None:
    spec = parse_args(
        {"workerid__gt": ["3"], "paused": ["false"], "name__contains": ["lin"]}, FIELDS
    )
    assert spec.query.filters == [
        Filter("workerid", "gt", (3,)),
        Filter("paused", "eq", (False,)),
        Filter("name", "contains", ("lin",)),
    ]


def test_in_filters_accept_repeated_and_comma_separated_values() -> None:
    spec = parse_args({"workerid__in": ["1,2", "5"]}, FIELDS)
    assert spec.query.filters == [Filter("workerid", "in", (1, 2, 5))]


def test_order_limit_offset_and_fields() -> None:
    spec = parse_args(
        {
            "order": ["-workerid", "name"],
            "limit": ["10"],
            "offset": ["20"],
            "field": ["name,workerid"],
        },
        FIELDS,
    )
    assert spec.query.order == ["-workerid", "name"]
    assert spec.query.limit == 10
    assert spec.query.offset == 20
    assert spec.fields == ["name", "workerid"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"limit": ["notanumber"]}, "invalid limit"),
        ({"limit": ["-1"]}, "invalid limit"),
        ({"offset": ["x"]}, "invalid offset"),
        ({"order": ["-nosuch"]}, "invalid order field: nosuch"),
        ({"nosuch": ["1"]}, "invalid filter field: nosuch"),
        ({"workerid__like": ["1"]}, "invalid filter operator: workerid__like"),
        ({"workerid": ["one"]}, "invalid integer value for workerid"),
        ({"paused": ["maybe"]}, "invalid boolean value for paused"),
        ({"field": ["nosuch"]}, "invalid field: nosuch"),
        ({"workerid__gt": ["1", "2"]}, "takes exactly one value"),
    ],
)
def test_bad_parameters_raise_clear_errors(args: dict[str, list[str]], message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        parse_args(args, FIELDS)


def test_extra_fields_can_be_selected_but_not_filtered() -> None:
    spec = parse_args({"field": ["workerinfo"]}, FIELDS, entity_fields={"workerinfo"})
    assert spec.fields == ["workerinfo"]
    with pytest.raises(InvalidQueryError):
        parse_args({"workerinfo": ["x"]}, FIELDS, entity_fields={"workerinfo"})


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ({"limit": [str(10**30)]}, "limit 1000000000000000000000000000000 is out of range"),
        ({"offset": [str(2**63)]}, "offset 9223372036854775808 is out of range"),
        ({"workerid__gt": [str(-(2**63) - 1)]}, "workerid -9223372036854775809 is out of range"),
        ({"workerid__in": ["1," + "9" * 5000]}, r"workerid 9999.*\.\.\..* is out of range"),
    ],
)
def test_integers_beyond_64_bits_are_refused(args: dict[str, list[str]], message: str) -> None:
    with pytest.raises(InvalidQueryError, match=message):
        parse_args(args, FIELDS)


def test_integers_at_the_64_bit_edges_are_accepted() -> None:
    spec = parse_args({"limit": [str(2**63 - 1)], "workerid__ge": [str(-(2**63))]}, FIELDS)
    assert spec.query.limit == 2**63 - 1
    assert spec.query.filters == [Filter("workerid", "ge", (-(2**63),))]


def test_limit_takes_plain_digits_only() -> None:
    for text in ("-1", "+1", "1e3", "\u0661"):
        with pytest.raises(InvalidQueryError, match="invalid limit"):
            parse_args({"limit": [text]}, FIELDS)
