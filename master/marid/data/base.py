"""Endpoint and resource-type base classes.

An ``Endpoint`` answers reads at one or more path patterns. A collection
endpoint returns a page of entities and the total; an entity endpoint returns
one entity or ``None``. Entities are plain JSON-ready dicts with Buildbot's
field names. ``fields`` maps each filterable and orderable field to its SQL
expression, which also gives the field's type for parsing query values.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from enum import Enum
from typing import TYPE_CHECKING, Any, ClassVar

import sqlalchemy as sa

from marid.db.query import Query

if TYPE_CHECKING:
    from marid.data.connector import DataConnector


class Kind(Enum):
    COLLECTION = "collection"
    ENTITY = "entity"
    RAW = "raw"
    # A whole JSON document in a shape of its own (the UI's aggregate views).
    DOCUMENT = "document"


@dataclass
class Page:
    items: list[dict[str, Any]]
    total: int | None


@dataclass
class RawContent:
    """A streamed response body: ``chunks`` yields bytes."""

    mime_type: str
    filename: str
    chunks: Callable[[], Any]  # returns an async iterator of bytes
    # Shown in the browser rather than offered as a download.
    inline: bool = False


class Endpoint:
    kind: ClassVar[Kind] = Kind.COLLECTION
    root: ClassVar[str] = ""  # the response key, e.g. "builds"
    patterns: ClassVar[tuple[str, ...]] = ()
    fields: ClassVar[Mapping[str, sa.ColumnElement[Any]]] = {}
    # Fields an entity holds that cannot be filtered or ordered on (lists, computed values).
    extra_fields: ClassVar[tuple[str, ...]] = ()
    # Actions accepted by POST (JSON-RPC) at these paths, mapped to method names.
    actions: ClassVar[Mapping[str, str]] = {}

    def __init__(self, data: DataConnector):
        self.data = data

    @property
    def db(self) -> Any:
        return self.data.db

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        raise NotImplementedError

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        raise NotImplementedError

    async def get_raw(self, args: dict[str, Any]) -> RawContent | None:
        raise NotImplementedError

    async def get_document(self, args: dict[str, Any]) -> dict[str, Any] | None:
        """For ``Kind.DOCUMENT``: the answer; ``args`` holds the path and query arguments."""
        raise NotImplementedError


def as_dict(model: Any) -> dict[str, Any]:
    """A db model dataclass as a JSON-ready dict (shallow: nested lists are copied as is)."""
    return {f.name: getattr(model, f.name) for f in dataclasses.fields(model)}


class ResourceType:
    """Holds one resource's update methods; ``now()`` comes from the master's reactor."""

    name: ClassVar[str] = ""

    def __init__(self, data: DataConnector):
        self.data = data

    @property
    def db(self) -> Any:
        return self.data.db

    def now(self) -> int:
        return int(self.data.seconds())

    def produce(self, key: tuple[str | int, ...], message: dict[str, Any]) -> None:
        self.data.mq.produce(tuple(str(k) for k in key), message)


def wall_clock() -> float:
    return time.time()
