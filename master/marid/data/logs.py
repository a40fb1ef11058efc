"""Logs: a step's named logs (``stdio``, ...), by log id or by step and slug.

The content is served by ``logchunks.py``. ``append_log`` takes whole lines;
for a stdio log (type ``s``) each line already starts with its stream
character, ``o`` (stdout), ``e`` (stderr) or ``h`` (header).

Events: ``logs/N/new`` and ``logs/N/finished`` with the log as message;
``logs/N/append`` with ``{logid, first_line, last_line, num_lines}``, the
range of the new lines (readers fetch them by range, the event never carries
the text).
"""

from __future__ import annotations

from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.data.steps import STEP_PREFIXES, resolve_stepid, step_locator
from marid.db import logs as dblogs
from marid.db.query import Query

LOG_PREFIXES = ("logs/n:logid", *(f"{step}/logs/i:log_slug" for step in STEP_PREFIXES))


async def resolve_logid(endpoint: Endpoint, args: dict[str, Any]) -> int | None:
    """The log id named by ``args`` (any ``LOG_PREFIXES`` form), or None."""
    if "logid" in args:
        return int(args["logid"])
    logid: int | None = await endpoint.db.logs.find_log_id(
        log_slug=args["log_slug"], **step_locator(args)
    )
    return logid


class LogsEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "logs"
    patterns = tuple(f"{step}/logs" for step in STEP_PREFIXES)
    fields = dblogs.FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        stepid = await resolve_stepid(self.data, args)
        if stepid is None:
            return Page([], 0)
        items, total = await self.db.logs.get_logs(query, stepid=stepid)
        return Page([as_dict(log) for log in items], total)


class LogEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "logs"
    patterns = LOG_PREFIXES
    fields = dblogs.FIELDS

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        logid = await resolve_logid(self, args)
        if logid is None:
            return None
        log = await self.db.logs.get_log(logid)
        return as_dict(log) if log else None


class Logs(ResourceType):
    name = "logs"

    async def add_log(self, stepid: int, name: str, type: str) -> int:
        """Add an empty log; its slug is ``name`` made an identifier, unique in the step."""
        if type not in ("s", "t", "h"):
            raise ValueError(f"log type must be 's', 't' or 'h', not {type!r}")
        logid: int = await self.db.logs.add_log(stepid, name, type)
        log = await self.db.logs.get_log(logid)
        self.produce(("logs", logid, "new"), as_dict(log))
        return logid

    async def append_log(self, logid: int, content: str) -> tuple[int, int]:
        """Append whole lines; return their ``(first_line, last_line)`` (0-based, inclusive)."""
        first, last = await self.db.logs.append_log(logid, content)
        if last >= first:
            self.produce(
                ("logs", logid, "append"),
                {"logid": logid, "first_line": first, "last_line": last, "num_lines": last + 1},
            )
        return first, last

    async def finish_log(self, logid: int) -> None:
        await self.db.logs.finish_log(logid)
        log = await self.db.logs.get_log(logid)
        self.produce(("logs", logid, "finished"), as_dict(log))


ENDPOINTS = (LogsEndpoint, LogEndpoint)
