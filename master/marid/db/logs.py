"""Logs: a step's named logs, stored as compressed chunks of whole lines.

Lines are numbered from 0. A chunk holds lines ``first_line..last_line``
(inclusive), at most ``CHUNK_SIZE`` bytes of UTF-8 before compression, each
line ending in ``\\n``; a single longer line is cut to fit, as Buildbot does.
``append_log`` locks the log row, stores the new chunks and bumps
``num_lines`` in one transaction. When the log's last chunk is smaller than
``MERGE_BELOW`` the first new lines are merged into it, so that a log fed a
few lines at a time does not become thousands of tiny rows. Readers select
only the chunks overlapping the lines they want, so no read holds more than
the requested range (plus a chunk at each end) in memory.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from marid.db import logcompression, model
from marid.db.base import Component
from marid.db.query import Query, fetch_page
from marid.db.steps import step_locator, unique_name

t = model.logs
lc = model.logchunks

CHUNK_SIZE = 256 * 1024
MERGE_BELOW = 16 * 1024
_ATTEMPTS = 10
_NOT_IN_SLUG = re.compile(r"[^A-Za-z0-9_.\-]")

FIELDS: dict[str, sa.ColumnElement[Any]] = {
    "logid": t.c.id,
    "name": t.c.name,
    "slug": t.c.slug,
    "stepid": t.c.stepid,
    "complete": t.c.complete != 0,
    "num_lines": t.c.num_lines,
    "type": t.c.type,
}


class LogNotFoundError(KeyError):
    """No log has this id."""


@dataclass
class LogModel:
    logid: int
    name: str
    slug: str
    stepid: int
    complete: bool
    num_lines: int
    type: str


@dataclass
class LogContext:
    """What a raw download names in its header and file name."""

    logid: int
    slug: str
    type: str
    step_name: str
    build_number: int
    builder_name: str
    worker_name: str | None


@dataclass
class Chunk:
    first_line: int
    last_line: int
    text: str


def _model(row: sa.Row[Any]) -> LogModel:
    return LogModel(
        row.id, row.name, row.slug, row.stepid, bool(row.complete), row.num_lines, row.type
    )


def slugify(name: str) -> str:
    """A REST identifier for a log name: letters, digits, ``_.-``, not starting with a digit."""
    slug = _NOT_IN_SLUG.sub("_", name)
    if not slug or not (slug[0] == "_" or (slug[0].isascii() and slug[0].isalpha())):
        slug = "_" + slug
    return slug


def _lines(content: str) -> list[bytes]:
    if not content.endswith("\n"):
        content += "\n"
    lines = []
    for line in content[:-1].split("\n"):
        encoded = line.encode("utf-8") + b"\n"
        if len(encoded) > CHUNK_SIZE:
            cut = encoded[: CHUNK_SIZE - 1].decode("utf-8", "ignore")
            encoded = cut.encode("utf-8") + b"\n"
        lines.append(encoded)
    return lines


def _pack(lines: list[bytes], first_line: int, head: bytes = b"") -> list[tuple[int, int, bytes]]:
    """Group lines into ``(first_line, last_line, data)`` chunks of at most CHUNK_SIZE bytes.

    ``head`` (the content of the chunk being merged into) starts the first chunk;
    ``first_line`` is then that chunk's first line.
    """
    chunks: list[tuple[int, int, bytes]] = []
    parts, size, start = [head] if head else [], len(head), first_line
    line_no = first_line + head.count(b"\n")
    for line in lines:
        if size and size + len(line) > CHUNK_SIZE:
            chunks.append((start, line_no - 1, b"".join(parts)))
            parts, size, start = [], 0, line_no
        parts.append(line)
        size += len(line)
        line_no += 1
    if parts:
        chunks.append((start, line_no - 1, b"".join(parts)))
    return chunks


def _split(data: bytes) -> list[str]:
    return data.decode("utf-8", "replace").split("\n")[:-1]


def _take_small_tail(conn: sa.Connection, logid: int, num_lines: int) -> tuple[bytes, int]:
    """Remove the log's last chunk if under MERGE_BELOW and return ``(its data, first_line)``,
    for the next lines to be packed after it; else ``(b"", num_lines)``."""
    last = conn.execute(
        sa.select(lc.c.first_line, lc.c.compressed, sa.func.length(lc.c.content)).where(
            lc.c.logid == logid, lc.c.last_line == num_lines - 1
        )
    ).first()
    if last is None or last[2] >= MERGE_BELOW:
        return b"", num_lines
    where = [lc.c.logid == logid, lc.c.first_line == last.first_line]
    data = logcompression.decompress(
        conn.execute(sa.select(lc.c.content).where(*where)).scalar_one(), last.compressed
    )
    if len(data) >= MERGE_BELOW:
        return b"", num_lines
    conn.execute(lc.delete().where(*where))
    return data, last.first_line


class LogsComponent(Component):
    async def add_log(self, stepid: int, name: str, type: str) -> int:
        def thd(conn: sa.Connection) -> int:
            base = slugify(name)
            for attempt in range(_ATTEMPTS):
                taken = set(conn.execute(sa.select(t.c.slug).where(t.c.stepid == stepid)).scalars())
                try:
                    with conn.begin_nested():
                        result = conn.execute(
                            t.insert().values(
                                name=name,
                                slug=unique_name(base, taken),
                                stepid=stepid,
                                complete=0,
                                num_lines=0,
                                type=type,
                            )
                        )
                except sa.exc.IntegrityError:
                    if attempt == _ATTEMPTS - 1:
                        raise
                    continue
                key = result.inserted_primary_key
                assert key is not None  # every backend reports an inserted row's key
                return int(key[0])
            raise AssertionError("unreachable")

        return await self.pool.run(thd)

    async def append_log(self, logid: int, content: str) -> tuple[int, int]:
        """Append whole lines; return the new lines' ``(first_line, last_line)``.

        Empty content appends nothing and returns ``(num_lines, num_lines - 1)``.
        """

        def thd(conn: sa.Connection) -> tuple[int, int]:
            q = sa.select(t.c.num_lines).where(t.c.id == logid)
            if conn.dialect.name != "sqlite":
                q = q.with_for_update()
            num_lines = conn.execute(q).scalar()
            if num_lines is None:
                raise LogNotFoundError(logid)
            if not content:
                return num_lines, num_lines - 1
            lines = _lines(content)
            head, start = _take_small_tail(conn, logid, num_lines)
            rows = []
            for first, last_line, data in _pack(lines, start, head):
                packed, codec = logcompression.compress(data)
                row = {"logid": logid, "first_line": first, "last_line": last_line}
                rows.append({**row, "content": packed, "compressed": codec})
            conn.execute(lc.insert(), rows)
            conn.execute(t.update().where(t.c.id == logid).values(num_lines=num_lines + len(lines)))
            return num_lines, num_lines + len(lines) - 1

        return await self.pool.run(thd)

    async def finish_log(self, logid: int) -> None:
        def thd(conn: sa.Connection) -> None:
            conn.execute(t.update().where(t.c.id == logid).values(complete=1))

        await self.pool.run(thd)

    async def get_log_lines(self, logid: int, first_line: int, last_line: int | None) -> str:
        """Lines ``first_line..last_line`` (inclusive; None: to the end), each ending in ``\\n``."""

        def thd(conn: sa.Connection) -> str:
            cond = [lc.c.logid == logid, lc.c.last_line >= first_line]
            if last_line is not None:
                cond.append(lc.c.first_line <= last_line)
            out: list[str] = []
            rows = conn.execute(
                sa.select(lc.c.first_line, lc.c.content, lc.c.compressed)
                .where(*cond)
                .order_by(lc.c.first_line)
            )
            for chunk_first, stored, codec in rows:
                lines = _split(logcompression.decompress(stored, codec))
                lo = max(first_line - chunk_first, 0)
                hi = (
                    len(lines)
                    if last_line is None
                    else min(last_line - chunk_first + 1, len(lines))
                )
                out.extend(line + "\n" for line in lines[lo:hi])
            return "".join(out)

        return await self.pool.read(thd)

    async def get_chunks(self, logid: int, from_line: int, max_chunks: int) -> list[Chunk]:
        """Up to ``max_chunks`` chunks holding lines from ``from_line`` on, decoded, in order."""

        def thd(conn: sa.Connection) -> list[Chunk]:
            q = (
                sa.select(lc.c.first_line, lc.c.last_line, lc.c.content, lc.c.compressed)
                .where(lc.c.logid == logid, lc.c.last_line >= from_line)
                .order_by(lc.c.first_line)
                .limit(max_chunks)
            )
            chunks = []
            for first, last, stored, codec in conn.execute(q):
                lines = _split(logcompression.decompress(stored, codec))[
                    max(from_line - first, 0) :
                ]
                chunks.append(
                    Chunk(max(first, from_line), last, "".join(line + "\n" for line in lines))
                )
            return chunks

        return await self.pool.read(thd)

    async def find_log_id(self, *, log_slug: str, **step: Any) -> int | None:
        """The id of the log ``log_slug`` of the step named by ``step`` path arguments."""
        stepq = step_locator(**step)
        if stepq is None:
            return None

        def thd(conn: sa.Connection) -> int | None:
            q = sa.select(t.c.id).where(t.c.slug == log_slug, t.c.stepid.in_(stepq))
            found = conn.execute(q).scalar()
            return None if found is None else int(found)

        return await self.pool.read(thd)

    async def get_log(self, logid: int) -> LogModel | None:
        def thd(conn: sa.Connection) -> LogModel | None:
            row = conn.execute(sa.select(t).where(t.c.id == logid)).first()
            return _model(row) if row else None

        return await self.pool.read(thd)

    async def get_logs(self, query: Query, *, stepid: int) -> tuple[list[LogModel], int]:
        def thd(conn: sa.Connection) -> tuple[list[LogModel], int]:
            base = sa.select(t).where(t.c.stepid == stepid)
            rows, total = fetch_page(conn, base, FIELDS, query, default_order=[t.c.id])
            return [_model(r) for r in rows], total

        return await self.pool.read(thd)

    async def get_log_context(self, logid: int) -> LogContext | None:
        def thd(conn: sa.Connection) -> LogContext | None:
            s, b, bl, w = model.steps, model.builds, model.builders, model.workers
            q = (
                sa.select(t.c.id, t.c.slug, t.c.type, s.c.name, b.c.number, bl.c.name, w.c.name)
                .join(s, s.c.id == t.c.stepid)
                .join(b, b.c.id == s.c.buildid)
                .join(bl, bl.c.id == b.c.builderid)
                .outerjoin(w, w.c.id == b.c.workerid)
                .where(t.c.id == logid)
            )
            row = conn.execute(q).first()
            return LogContext(*row) if row else None

        return await self.pool.read(thd)
