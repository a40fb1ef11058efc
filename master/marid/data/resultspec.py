"""Parse REST query parameters into a ``Query``, a field projection and property names.

Parameters follow Buildbot: ``field`` (repeatable or comma separated),
``order`` (``-name`` for descending), ``limit``, ``offset``, ``property``
(builds: which properties to include, ``*`` for all), ``<field>=v`` for
equality and ``<field>__<op>=v`` with eq, ne, lt, le, gt, ge, contains, in,
notin. Values are converted to the field's type; anything malformed raises
``InvalidQueryError`` with a message naming the parameter. Integers (paging
and filter values) must fit in 64 signed bits (``bounds``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from marid.data.bounds import OutOfRange, out_of_range, parse_int64
from marid.data.errors import InvalidQueryError
from marid.db.query import OPERATORS, Filter, Query

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
# Parameters that the REST layer or the browser adds and that are not filters.
_IGNORED = {"_", "as_text", "callback"}


@dataclass
class ResultSpec:
    query: Query = field(default_factory=Query)
    fields: list[str] | None = None
    properties: list[str] = field(default_factory=list)


def _python_type(expr: sa.ColumnElement[Any]) -> type:
    sql_type = expr.type
    if isinstance(sql_type, sa.Boolean):
        return bool
    if isinstance(sql_type, sa.Integer):
        return int
    if isinstance(sql_type, sa.Float | sa.Numeric):
        return float
    return str


def parse_int(name: str, text: str) -> int:
    """``text`` as an integer in the 64-bit range; ``InvalidQueryError`` otherwise."""
    try:
        return parse_int64(text)
    except OutOfRange as error:
        raise InvalidQueryError(out_of_range(name, error)) from None
    except ValueError:
        raise InvalidQueryError(f"invalid integer value for {name}: {text[:40]!r}") from None


def convert(name: str, text: str, kind: type) -> Any:
    if text.lower() in ("null", "none") and kind is not str:
        return None
    if kind is bool:
        low = text.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise InvalidQueryError(f"invalid boolean value for {name}: {text!r}")
    if kind is int:
        return parse_int(name, text)
    if kind is float:
        try:
            return float(text)
        except (ValueError, OverflowError):
            raise InvalidQueryError(f"invalid number value for {name}: {text!r}") from None
    return text


def _non_negative(name: str, values: list[str]) -> int:
    text = values[-1].strip()
    if not (text.isascii() and text.isdigit()):
        raise InvalidQueryError(f"invalid {name}")
    return parse_int(name, text)


def parse_args(
    args: Mapping[str, list[str]],
    fields: Mapping[str, sa.ColumnElement[Any]],
    *,
    entity_fields: set[str] | None = None,
) -> ResultSpec:
    """``fields`` are the filterable ones; ``entity_fields`` all a response may hold."""
    spec = ResultSpec()
    known = set(fields) | (entity_fields or set())
    for name, values in args.items():
        if name in _IGNORED:
            continue
        if name == "limit":
            spec.query.limit = _non_negative("limit", values)
        elif name == "offset":
            spec.query.offset = _non_negative("offset", values)
        elif name == "field":
            wanted = [f for v in values for f in v.split(",") if f]
            unknown = [f for f in wanted if f not in known]
            if unknown:
                raise InvalidQueryError(f"invalid field: {', '.join(unknown)}")
            spec.fields = wanted
        elif name == "order":
            for key in (k for v in values for k in v.split(",") if k):
                if key.lstrip("-") not in fields:
                    raise InvalidQueryError(f"invalid order field: {key.lstrip('-')}")
                spec.query.order.append(key)
        elif name == "property":
            spec.properties.extend(p for v in values for p in v.split(",") if p)
        else:
            field_name, _, op = name.partition("__")
            op = op or "eq"
            if op not in OPERATORS:
                raise InvalidQueryError(f"invalid filter operator: {name}")
            if field_name not in fields:
                raise InvalidQueryError(f"invalid filter field: {field_name}")
            kind = _python_type(fields[field_name])
            raw = [p for v in values for p in v.split(",")] if op in ("in", "notin") else values
            converted = tuple(convert(field_name, v, kind) for v in raw)
            if op not in ("eq", "ne", "in", "notin") and len(converted) != 1:
                raise InvalidQueryError(f"filter {name} takes exactly one value")
            spec.query.filters.append(Filter(field_name, op, converted))
    return spec
