"""Searching a log on the server, chunk by chunk, without loading the whole log.

A search reads the chunks from a starting line on, in order, and runs the
pattern over each chunk's text at once (not line by line), turning match
positions into line numbers by counting newlines. It stops after ``limit``
matching lines or after ``budget`` bytes of text, whichever comes first, and
says where to continue, so a search of a 1 GB log is a series of bounded
requests rather than one that holds a thread for a minute.

In a stdio log every line starts with its stream character; a match is
checked again against the line without it, so that searching ``o`` does not
match every stdout line.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field

import sqlalchemy as sa

from marid.db import logcompression, model
from marid.db.base import Component

lc = model.logchunks

# Text scanned per request at most before answering "more".
DEFAULT_BUDGET = 64 * 1024 * 1024


@dataclass
class SearchResult:
    matches: list[tuple[int, str]] = field(default_factory=list)  # (line, text)
    next_line: int | None = None  # where to continue; None: the end was reached


@dataclass(frozen=True)
class SearchPattern:
    """What to look for: ``regex`` always; ``literal`` too when the query is plain text.

    A literal is found with ``str.find`` (on the lower-cased text when the case
    does not matter, for ASCII text, whose length lower-casing keeps), which is
    several times faster than a case-insensitive regular expression.
    """

    regex: re.Pattern[str]
    literal: str | None = None
    case: bool = False

    @classmethod
    def plain(cls, text: str, case: bool) -> SearchPattern:
        flags = re.MULTILINE | (0 if case else re.IGNORECASE)
        return cls(re.compile(re.escape(text), flags), text if case else text.lower(), case)

    def finder(self, text: str) -> Callable[[int], int]:
        """``find(pos)``: where the next match in ``text`` starts, or -1."""
        literal = self.literal
        if literal is not None and (self.case or text.isascii()):
            haystack = text if self.case else text.lower()
            return lambda pos: haystack.find(literal, pos)
        regex = self.regex

        def search(pos: int) -> int:
            m = regex.search(text, pos)
            return -1 if m is None else m.start()

        return search


def search_text(
    text: str,
    first_line: int,
    pattern: SearchPattern,
    prefixed: bool,
    wanted: int,
    streams: str | None = None,
) -> tuple[list[tuple[int, str]], int | None]:
    """Matching lines of ``text`` (whole lines, each ending in newline) numbered from
    ``first_line``; stops at ``wanted`` matches and then gives the line to resume at.
    With ``prefixed`` and ``streams``, only lines of those streams count."""
    found: list[tuple[int, str]] = []
    find = pattern.finder(text)
    pos = 0
    line_no = first_line
    counted_to = 0
    while len(found) < wanted:
        at = find(pos)
        if at < 0:
            return found, None
        start = text.rfind("\n", 0, at) + 1
        end = text.find("\n", at)
        end = len(text) if end < 0 else end
        line_no += text.count("\n", counted_to, start)
        counted_to = start
        line = text[start:end]
        body = line[1:] if prefixed else line
        wanted_stream = not (prefixed and streams) or line[:1] in streams
        if wanted_stream and (not prefixed or pattern.regex.search(body)):
            found.append((line_no, body))
        pos = end + 1
    return found, line_no + 1 if pos < len(text) else None


def search_lines(
    text: str, first_line: int, regex: re.Pattern[str], streams: str | None, wanted: int
) -> tuple[list[tuple[int, str]], int | None]:
    """``search_text`` for a stdio log and an expression anchored with ``^``, which must
    see each line without its stream character: line by line, so slower."""
    found: list[tuple[int, str]] = []
    lines = text.split("\n")[:-1]
    for offset, line in enumerate(lines):
        if (not streams or line[:1] in streams) and regex.search(line[1:]):
            found.append((first_line + offset, line[1:]))
            if len(found) >= wanted:
                more = offset + 1 < len(lines)
                return found, first_line + offset + 1 if more else None
    return found, None


class LogSearchComponent(Component):
    async def search(
        self,
        logid: int,
        pattern: SearchPattern,
        *,
        prefixed: bool,
        streams: str | None = None,
        from_line: int = 0,
        limit: int = 100,
        budget: int = DEFAULT_BUDGET,
    ) -> SearchResult:
        # "^" must see a line's start after its stream character.
        anchored = pattern.literal is None and "^" in pattern.regex.pattern

        def thd(conn: sa.Connection) -> SearchResult:
            result = SearchResult()
            scanned = 0
            rows = conn.execute(
                sa.select(lc.c.first_line, lc.c.last_line, lc.c.content, lc.c.compressed)
                .where(lc.c.logid == logid, lc.c.last_line >= from_line)
                .order_by(lc.c.first_line)
                .execution_options(yield_per=8)
            )
            for first, last, stored, codec in rows:
                if scanned >= budget:
                    result.next_line = first
                    break
                text = logcompression.decompress(stored, codec).decode("utf-8", "replace")
                start = first
                if from_line > first:
                    cut = 0
                    for _ in range(from_line - first):
                        cut = text.index("\n", cut) + 1
                    text, start = text[cut:], from_line
                scanned += len(text)
                wanted = limit - len(result.matches)
                if prefixed and anchored:
                    found, resume = search_lines(text, start, pattern.regex, streams, wanted)
                else:
                    found, resume = search_text(text, start, pattern, prefixed, wanted, streams)
                result.matches.extend(found)
                if len(result.matches) >= limit:
                    result.next_line = resume if resume is not None else last + 1
                    break
            rows.close()
            return result

        return await self.pool.read(thd)
