"""Controls on builds and requests (rebuild, cancel) and crash recovery.

``recover_master(data, masterid)`` finishes what a master left behind when
it died: its incomplete builds (and their steps and logs) end as RETRY and
the requests it had claimed are unclaimed, so the distributor of any master
runs them again. A master calls it for itself when it starts (its previous
run may have crashed) and for every master it finds expired.

``rebuild`` adds a new buildset for the same builder with the same source
stamps and buildset properties, marked ``rebuilt_buildid``. ``cancel_request``
completes a pending request as CANCELLED (claiming it first, so no master can
start it meanwhile); a request already building here has its build stopped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from marid.data.errors import ConflictError, NotFoundError
from marid.db.buildrequests import AlreadyClaimedError
from marid.db.query import Filter, Query
from marid.process.results import CANCELLED, RETRY

if TYPE_CHECKING:
    from marid.process.botmaster import BotMaster

log = Logger()


def _incomplete(**fields: Any) -> Query:
    filters = [Filter(name, "eq", (value,)) for name, value in fields.items()]
    return Query(filters=[*filters, Filter("complete", "eq", (False,))])


async def recover_master(data: Any, masterid: int) -> int:
    """End the incomplete builds of ``masterid`` as RETRY and unclaim its requests."""
    db = data.db
    builds, _ = await db.builds.get_builds(_incomplete(masterid=masterid))
    for build in builds:
        steps, _ = await db.steps.get_steps(_incomplete(), buildid=build.buildid)
        for step in steps:
            logs, _ = await db.logs.get_logs(_incomplete(), stepid=step.stepid)
            for item in logs:
                await data.logs.finish_log(item.logid)
            await data.steps.finish_step(step.stepid, RETRY)
        await data.builds.set_build_state_string(build.buildid, "retry: the master went away")
        await data.builds.finish_build(build.buildid, RETRY)
    requests, _ = await db.buildrequests.get_build_requests(
        _incomplete(claimed_by_masterid=masterid)
    )
    if requests:
        await data.buildrequests.unclaim_build_requests(
            [r.buildrequestid for r in requests], masterid
        )
    if builds or requests:
        log.info(
            "master {id}: {b} interrupted build(s) ended as RETRY, {r} request(s) queued again",
            id=masterid,
            b=len(builds),
            r=len(requests),
        )
    return len(builds)


async def rebuild(data: Any, buildid: int, reason: str | None = None) -> tuple[int, dict[int, int]]:
    """A new buildset re-running build ``buildid``; returns ``(bsid, {builderid: brid})``."""
    db = data.db
    build = await db.builds.get_build(buildid)
    if build is None:
        raise NotFoundError(f"no build {buildid}")
    request = await db.buildrequests.get_build_request(build.buildrequestid)
    if request is None:
        raise NotFoundError(f"build {buildid} has no build request")
    buildset = await db.buildsets.get_buildset(request.buildsetid)
    properties = await db.buildsets.get_buildset_properties(request.buildsetid) or {}
    scheduler = properties.pop("scheduler", ["rebuild", "Scheduler"])[0]
    assert buildset is not None
    result: tuple[int, dict[int, int]] = await data.buildsets.add_buildset(
        scheduler=str(scheduler),
        sourcestamps=[stamp["ssid"] for stamp in buildset.sourcestamps],
        reason=reason or buildset.reason or f"rebuild of build {buildid}",
        properties={name: (value, source) for name, (value, source) in properties.items()},
        builderids=[build.builderid],
        rebuilt_buildid=buildid,
        priority=request.priority,
    )
    return result


async def cancel_request(botmaster: BotMaster, brid: int, reason: str) -> None:
    """Cancel request ``brid``: complete it as CANCELLED, or stop its build if it runs here."""
    data = botmaster.data
    request = await data.db.buildrequests.get_build_request(brid)
    if request is None:
        raise NotFoundError(f"no build request {brid}")
    if request.complete:
        return
    if not request.claimed:
        try:
            await data.buildrequests.claim_build_requests([brid], botmaster.masterid)
        except AlreadyClaimedError:
            pass
        else:
            await data.buildrequests.complete_build_requests([brid], CANCELLED)
            return
    build = botmaster.find_build_for_request(brid)
    if build is not None:
        build.stop(reason, CANCELLED)
        return
    raise ConflictError(f"build request {brid} is being built by another master")
