"""Log contents: a line range as JSON, or the whole log streamed as a text download.

``.../contents`` answers ``{"logchunks": [{"logid", "firstline", "content"}]}``
for the lines ``offset`` to ``offset + limit - 1`` (the REST ``offset`` and
``limit`` parameters count lines here), reading only the chunks that overlap.

``.../raw`` (an attachment) and ``.../raw_inline`` (shown in the browser)
stream the log a few chunks per query, so a download never holds the whole
log. A stdio log loses its one-character stream prefix on every line and
starts with three lines naming the builder, the build number and the worker.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any, ClassVar

from marid.data.base import Endpoint, Kind, RawContent
from marid.data.logs import LOG_PREFIXES, resolve_logid
from marid.db.logs import LogContext
from marid.db.query import Query

# Chunks read per query while streaming: at most ~1 MiB of text in memory.
RAW_BATCH = 4
# Lines one ``contents`` request returns at most; larger logs are read in pages.
MAX_CONTENT_LINES = 50_000
_UNSAFE_IN_FILENAME = re.compile(r"[^A-Za-z0-9_.\-]")


class LogContentsEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "logchunks"
    patterns = tuple(f"{log}/contents" for log in LOG_PREFIXES)

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        logid = await resolve_logid(self, args)
        if logid is None or await self.db.logs.get_log(logid) is None:
            return None
        first = query.offset or 0
        limit = MAX_CONTENT_LINES if query.limit is None else min(query.limit, MAX_CONTENT_LINES)
        if limit == 0:
            content = ""
        else:
            content = await self.db.logs.get_log_lines(logid, first, first + limit - 1)
        return {"logid": logid, "firstline": first, "content": content}


def _filename(context: LogContext) -> str:
    name = (
        f"{context.builder_name}_build_{context.build_number}"
        f"_step_{context.step_name}_{context.slug}.log"
    )
    return _UNSAFE_IN_FILENAME.sub("_", name)


def _strip_stream_prefix(text: str) -> str:
    return "".join(line[1:] + "\n" for line in text.split("\n")[:-1])


class LogRawEndpoint(Endpoint):
    kind = Kind.RAW
    root = "raw"
    patterns = tuple(f"{log}/raw" for log in LOG_PREFIXES)
    inline: ClassVar[bool] = False

    async def get_raw(self, args: dict[str, Any]) -> RawContent | None:
        logid = await resolve_logid(self, args)
        if logid is None:
            return None
        context: LogContext | None = await self.db.logs.get_log_context(logid)
        if context is None:
            return None
        mime = "text/html; charset=utf-8" if context.type == "h" else "text/plain; charset=utf-8"
        return RawContent(
            mime, _filename(context), lambda: self._chunks(context), inline=self.inline
        )

    async def _chunks(self, context: LogContext) -> AsyncIterator[bytes]:
        if context.type != "h":
            yield (
                f"Builder: {context.builder_name}\n"
                f"Build number: {context.build_number}\n"
                f"Worker name: {context.worker_name or ''}\n"
            ).encode()
        next_line = 0
        while True:
            chunks = await self.db.logs.get_chunks(context.logid, next_line, RAW_BATCH)
            if not chunks:
                return
            for chunk in chunks:
                text = _strip_stream_prefix(chunk.text) if context.type == "s" else chunk.text
                yield text.encode("utf-8")
                next_line = chunk.last_line + 1


class LogRawInlineEndpoint(LogRawEndpoint):
    patterns = tuple(f"{log}/raw_inline" for log in LOG_PREFIXES)
    inline = True


ENDPOINTS = (LogContentsEndpoint, LogRawEndpoint, LogRawInlineEndpoint)
