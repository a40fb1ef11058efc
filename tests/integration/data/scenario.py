"""Building blocks for data API tests: a master with a builder and worker, a buildset, a build.

Also the key sets of every entity as Buildbot 4.3 returns them
(``docs/rest-shapes.md``), and ``SqlLog`` to see which statements reached the
database.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from tests.fixtures.data import RecordingData

BUILD_KEYS = {
    "builderid",
    "buildid",
    "buildrequestid",
    "complete",
    "complete_at",
    "locks_duration_s",
    "masterid",
    "number",
    "properties",
    "results",
    "started_at",
    "state_string",
    "workerid",
}
STEP_KEYS = {
    "buildid",
    "complete",
    "complete_at",
    "hidden",
    "locks_acquired_at",
    "name",
    "number",
    "results",
    "started_at",
    "state_string",
    "stepid",
    "urls",
}
LOG_KEYS = {"complete", "logid", "name", "num_lines", "slug", "stepid", "type"}
LOGCHUNK_KEYS = {"content", "firstline", "logid"}
BUILDREQUEST_KEYS = {
    "builderid",
    "buildrequestid",
    "buildsetid",
    "claimed",
    "claimed_at",
    "claimed_by_masterid",
    "complete",
    "complete_at",
    "priority",
    "properties",
    "results",
    "submitted_at",
    "waited_for",
}
BUILDSET_KEYS = {
    "bsid",
    "complete",
    "complete_at",
    "external_idstring",
    "parent_buildid",
    "parent_relationship",
    "reason",
    "rebuilt_buildid",
    "results",
    "sourcestamps",
    "submitted_at",
}
SOURCESTAMP_KEYS = {
    "branch",
    "codebase",
    "created_at",
    "patch",
    "project",
    "repository",
    "revision",
    "ssid",
}
CHANGE_KEYS = {
    "changeid",
    "author",
    "committer",
    "files",
    "comments",
    "parent_changeids",
    "revision",
    "when_timestamp",
    "branch",
    "category",
    "revlink",
    "properties",
    "repository",
    "project",
    "codebase",
    "sourcestamp",
}
SCHEDULER_KEYS = {"enabled", "master", "name", "schedulerid"}
MASTER_KEYS = {"active", "last_active", "masterid", "name"}


@dataclass
class Setup:
    masterid: int
    builderids: dict[str, int]
    workerid: int


@dataclass
class Build:
    bsid: int
    brid: int
    buildid: int
    number: int


async def master_with_builders(data: RecordingData, *names: str) -> Setup:
    masterid = await data.masters.find_master_id("host:/srv/master")
    await data.masters.master_active("host:/srv/master", masterid)
    builderids = await data.builders.update_builder_list(masterid, list(names or ["hello"]))
    workerid = await data.workers.find_worker_id("w1")
    return Setup(masterid, builderids, workerid)


async def forced_buildset(
    data: RecordingData, builderids: list[int], **properties: Any
) -> tuple[int, dict[int, int]]:
    bsid, brids = await data.buildsets.add_buildset(
        scheduler="force",
        sourcestamps=[{"branch": "", "revision": "", "repository": "", "project": ""}],
        reason="forced",
        properties={k: (v, "Force Build Form") for k, v in properties.items()},
        builderids=builderids,
    )
    return bsid, brids


async def started_build(data: RecordingData, setup: Setup, builder: str = "hello") -> Build:
    builderid = setup.builderids[builder]
    bsid, brids = await forced_buildset(data, [builderid])
    brid = brids[builderid]
    await data.buildrequests.claim_build_requests([brid], setup.masterid)
    buildid, number = await data.builds.add_build(
        builderid, brid, setup.workerid, setup.masterid, "building"
    )
    return Build(bsid, brid, buildid, number)


class SqlLog:
    """The SQL statements an engine ran, recorded while ``recording()`` is active."""

    def __init__(self, engine: sa.Engine) -> None:
        self.engine = engine
        self.statements: list[str] = []

    def _record(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()))

    @contextmanager
    def recording(self) -> Iterator[list[str]]:
        self.statements = []
        sa.event.listen(self.engine, "before_cursor_execute", self._record)
        try:
            yield self.statements
        finally:
            sa.event.remove(self.engine, "before_cursor_execute", self._record)
