"""Queries on collections: filters, ordering and paging, pushed into SQL.

A ``Query`` is what a REST request or an internal caller asks of a collection:
filters on fields, an order, a limit and an offset. Each entity component maps
its API field names to SQL expressions; ``paged_select`` turns the query into a
``SELECT`` for the page and a ``SELECT COUNT`` for ``meta.total``. A filter or
order on a field with no SQL mapping is an error: every field an endpoint
advertises is mapped, so nothing is filtered in Python.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

OPERATORS = ("eq", "ne", "lt", "le", "gt", "ge", "contains", "in", "notin")


class QueryError(ValueError):
    """A query names an unknown field or operator, or has a value of the wrong type."""


@dataclass(frozen=True)
class Filter:
    """``field op values``: eq/in/ne/notin take several values, the others exactly one."""

    field: str
    op: str
    values: tuple[Any, ...]

    def __post_init__(self) -> None:
        if self.op not in OPERATORS:
            raise QueryError(f"invalid operator {self.op!r}")
        if self.op not in ("eq", "ne", "in", "notin") and len(self.values) != 1:
            raise QueryError(f"operator {self.op!r} takes exactly one value")


@dataclass
class Query:
    filters: list[Filter] = field(default_factory=list)
    order: list[str] = field(default_factory=list)  # "name" ascending, "-name" descending
    limit: int | None = None
    offset: int | None = None

    def with_filter(self, name: str, value: Any) -> Query:
        """A copy with one more equality filter (used for path arguments)."""
        return Query(
            filters=[*self.filters, Filter(name, "eq", (value,))],
            order=list(self.order),
            limit=self.limit,
            offset=self.offset,
        )


def _condition(column: sa.ColumnElement[Any], flt: Filter) -> sa.ColumnElement[bool]:
    values = flt.values
    if isinstance(column.type, sa.Boolean) and flt.op in ("eq", "ne") and len(values) == 1:
        # ``expr`` / ``NOT expr`` (e.g. ``complete_at IS NULL``) can use an index;
        # ``(expr) = false`` cannot.
        wanted = bool(values[0]) == (flt.op == "eq")
        return column if wanted else sa.not_(column)
    if flt.op in ("eq", "in"):
        if len(values) == 1:
            value = values[0]
            return column.is_(None) if value is None else column == value
        return column.in_(values)
    if flt.op in ("ne", "notin"):
        if len(values) == 1:
            value = values[0]
            return column.is_not(None) if value is None else column != value
        return column.not_in(values)
    value = values[0]
    if flt.op == "contains":
        return column.contains(str(value), autoescape=True)
    condition: sa.ColumnElement[bool]
    if flt.op == "lt":
        condition = column < value
    elif flt.op == "le":
        condition = column <= value
    elif flt.op == "gt":
        condition = column > value
    else:
        condition = column >= value
    return condition


def where_clauses(
    columns: Mapping[str, sa.ColumnElement[Any]], filters: Sequence[Filter]
) -> list[sa.ColumnElement[bool]]:
    clauses = []
    for flt in filters:
        column = columns.get(flt.field)
        if column is None:
            raise QueryError(f"cannot filter on field {flt.field!r}")
        clauses.append(_condition(column, flt))
    return clauses


def order_clauses(
    columns: Mapping[str, sa.ColumnElement[Any]], order: Sequence[str]
) -> list[sa.ColumnElement[Any]]:
    clauses: list[sa.ColumnElement[Any]] = []
    for key in order:
        descending = key.startswith("-")
        name = key[1:] if descending else key
        column = columns.get(name)
        if column is None:
            raise QueryError(f"cannot order by field {name!r}")
        clauses.append(column.desc() if descending else column.asc())
    return clauses


def paged_select(
    base: sa.Select[Any],
    columns: Mapping[str, sa.ColumnElement[Any]],
    query: Query,
    *,
    default_order: Sequence[sa.ColumnElement[Any]] = (),
) -> tuple[sa.Select[Any], sa.Select[Any]]:
    """Return ``(page_select, count_select)`` for ``query`` applied to ``base``."""
    clauses = where_clauses(columns, query.filters)
    filtered = base.where(*clauses) if clauses else base
    count = sa.select(sa.func.count()).select_from(filtered.order_by(None).subquery())
    ordered = filtered.order_by(*order_clauses(columns, query.order), *default_order)
    if query.limit is not None:
        ordered = ordered.limit(query.limit)
    if query.offset:
        ordered = ordered.offset(query.offset)
    return ordered, count


@dataclass
class Page:
    """One page of results and the number of rows matching the filters."""

    items: list[Any]
    total: int


def fetch_page(
    conn: sa.Connection,
    base: sa.Select[Any],
    columns: Mapping[str, sa.ColumnElement[Any]],
    query: Query,
    *,
    default_order: Sequence[sa.ColumnElement[Any]] = (),
    count: bool = True,
) -> tuple[list[sa.Row[Any]], int]:
    page, total_select = paged_select(base, columns, query, default_order=default_order)
    rows = list(conn.execute(page))
    if not count:
        return rows, len(rows)
    if query.limit is None and not query.offset:
        return rows, len(rows)
    total = conn.execute(total_select).scalar_one()
    return rows, int(total)
