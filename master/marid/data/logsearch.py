"""``logs/N/search``: find lines of a log on the server, in bounded pages.

``q`` is the text (or, with ``regex=true``, a Python regular expression),
``case=true`` makes it case-sensitive, ``from`` is the first line to look at
and ``limit`` the most matching lines to return; in a stdio log, ``streams``
(letters of ``o``, ``e``, ``h``) keeps only lines of those streams. The answer is
``{"matches": [{"line", "text"}], "meta": {"more": bool, "next": line}}``;
``next`` is where to continue when ``more`` is true (the limit was reached, or
the server stopped after scanning its per-request budget of text).
"""

from __future__ import annotations

import re
from typing import Any

from marid.data.base import Endpoint, Kind
from marid.data.errors import InvalidQueryError
from marid.data.logs import LOG_PREFIXES, resolve_logid
from marid.data.ui import int_arg
from marid.db.logsearch import SearchPattern

MAX_MATCHES = 1000
MAX_PATTERN = 1000


def _flag(args: dict[str, list[str]], name: str) -> bool:
    values = args.get(name)
    if not values:
        return False
    value = values[-1].lower()
    if value in ("1", "true", "yes", "on"):
        return True
    if value in ("0", "false", "no", "off", ""):
        return False
    raise InvalidQueryError(f"{name!r} must be true or false, not {values[-1]!r}")


def compile_query(args: dict[str, list[str]]) -> SearchPattern:
    text = (args.get("q") or [""])[-1]
    if not text:
        raise InvalidQueryError("'q' (the text to search for) is required")
    if len(text) > MAX_PATTERN:
        raise InvalidQueryError(f"'q' is longer than {MAX_PATTERN} characters")
    case = _flag(args, "case")
    if not _flag(args, "regex"):
        return SearchPattern.plain(text, case)
    flags = re.MULTILINE | (0 if case else re.IGNORECASE)
    try:
        return SearchPattern(re.compile(text, flags), case=case)
    except re.error as error:
        raise InvalidQueryError(f"'q' is not a valid regular expression: {error}") from None


class LogSearchEndpoint(Endpoint):
    kind = Kind.DOCUMENT
    root = "matches"
    patterns = tuple(f"{log}/search" for log in LOG_PREFIXES)

    async def get_document(self, args: dict[str, Any]) -> dict[str, Any] | None:
        query: dict[str, list[str]] = args["_args"]
        pattern = compile_query(query)
        start = int_arg(query, "from", 0, 2**53)
        limit = int_arg(query, "limit", 100, MAX_MATCHES)
        streams = (query.get("streams") or [""])[-1]
        if streams.strip("oeh"):
            raise InvalidQueryError(f"'streams' takes the letters o, e and h, not {streams!r}")
        logid = await resolve_logid(self, args)
        log = None if logid is None else await self.db.logs.get_log(logid)
        if log is None:
            return None
        result = await self.db.logsearch.search(
            log.logid,
            pattern,
            prefixed=log.type == "s",
            streams=streams or None,
            from_line=start,
            limit=limit,
        )
        nxt = result.next_line
        more = nxt is not None and nxt < log.num_lines
        return {
            "matches": [{"line": line, "text": text} for line, text in result.matches],
            "meta": {"more": more, "next": nxt if more else None},
        }


ENDPOINTS = (LogSearchEndpoint,)
