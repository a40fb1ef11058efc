"""Which builds run when: max_builds, locks, collapsing, priorities, cancel and rebuild."""

from __future__ import annotations

import pytest_twisted

from tests.integration.builds.conftest import BuildEnv, eventually

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw', max_builds={max_builds}), worker.Worker('w2', 'pw')]
master_lock = util.MasterLock('deploy')
worker_lock = util.WorkerLock('cpu', maxCount=2)

def sleeper(seconds, **kw):
    return util.BuildFactory([steps.ShellCommand(command=['sleep', str(seconds)], **kw)])

c['builders'] = [
    util.BuilderConfig(name='slow', workernames=['w1'], factory=sleeper(0.5),
                       collapseRequests=False),
    util.BuilderConfig(name='locked', workernames=['w1', 'w2'], factory=sleeper(0.3),
                       locks=[master_lock.access('exclusive')], collapseRequests=False),
    util.BuilderConfig(name='steplocked', workernames=['w1', 'w2'],
                       factory=sleeper(0.3, locks=[master_lock.access('exclusive')]),
                       collapseRequests=False),
    util.BuilderConfig(name='collapsing', workernames=['w1'], factory=sleeper(0)),
    util.BuilderConfig(name='hold', workernames=['w1'], factory=sleeper(30)),
    util.BuilderConfig(name='queued', workernames=['w1'], factory=sleeper(0),
                       collapseRequests=False),
    util.BuilderConfig(
        name='hooked', workernames=['w1', 'w2'], factory=sleeper(0), collapseRequests=False,
        nextWorker=lambda builder, workers, request: sorted(
            workers, key=lambda w: w.worker.workername)[-1],
        canStartBuild=lambda builder, worker, request: (
            worker.workername != 'w2' or not request.properties.getProperty('avoid_w2'))),
]
"""


async def start(env: BuildEnv, max_builds: int = 1) -> None:
    env.write_config(CONFIG.format(max_builds=max_builds))
    env.start_worker("w1")
    env.start_worker("w2")
    await env.start_master("w1", "w2")


async def spans(env: BuildEnv, builder: str) -> list[tuple[int, int]]:
    builds = (await env.get(f"builders/{await builder_id(env, builder)}/builds"))["builds"]
    return [(b["started_at"], b["complete_at"]) for b in builds]


async def builder_id(env: BuildEnv, name: str) -> int:
    data = env.m.data
    assert data is not None
    return await data.builders.find_builder_id(name)


@pytest_twisted.ensureDeferred
async def test_max_builds_limits_concurrent_builds_on_a_worker(build_env: BuildEnv) -> None:
    await start(build_env, max_builds=1)
    peak = [0]
    workers = build_env.m.workers
    assert workers is not None
    consumer = build_env.m.mq.start_consuming(
        lambda k, m: peak.__setitem__(0, max(peak[0], workers.running_builds("w1"))),
        "builds/*/new",
    )
    bsids = [(await build_env.force("slow"))[0] for _ in range(3)]
    for bsid in bsids:
        assert (await build_env.finished(bsid))["results"] == 0
    consumer.stop_consuming()
    assert peak[0] == 1
    assert len(await spans(build_env, "slow")) == 3


@pytest_twisted.ensureDeferred
async def test_an_exclusive_build_lock_serialises_builds_across_workers(
    build_env: BuildEnv,
) -> None:
    await start(build_env, max_builds=2)
    active, overlap = [0], [0]

    def started(key: object, msg: object) -> None:
        active[0] += 1
        overlap[0] = max(overlap[0], active[0])

    def finished(key: object, msg: object) -> None:
        active[0] -= 1

    consumers = [
        build_env.m.mq.start_consuming(started, "steps/*/started"),
        build_env.m.mq.start_consuming(finished, "steps/*/finished"),
    ]
    bsids = [(await build_env.force(name))[0] for name in ("locked", "locked", "steplocked")]
    for bsid in bsids:
        assert (await build_env.finished(bsid))["results"] == 0
    for consumer in consumers:
        consumer.stop_consuming()
    assert overlap[0] == 1


@pytest_twisted.ensureDeferred
async def test_pending_requests_collapse_and_the_older_ones_are_skipped(
    build_env: BuildEnv,
) -> None:
    await start(build_env)
    hold, _ = await build_env.force("hold")  # keeps w1 busy while the others queue
    await eventually(lambda: bool(build_env.m.botmaster and build_env.m.botmaster.builds))
    queued = [await build_env.force("collapsing", branch="main") for _ in range(3)]
    other = await build_env.force("collapsing", branch="other")
    botmaster = build_env.m.botmaster
    assert botmaster is not None
    build = next(iter(botmaster.builds))
    build.stop("make room")
    await build_env.finished(hold)
    results = [(await build_env.finished(bsid))["results"] for bsid, _ in [*queued, other]]
    assert results == [3, 3, 0, 0]  # the newest 'main' request ran; 'other' does not collapse
    builds = (await build_env.get(f"buildrequests/{queued[2][1]}/builds"))["builds"]
    assert len(builds) == 1
    assert (await build_env.get(f"buildrequests/{queued[0][1]}/builds"))["builds"] == []


@pytest_twisted.ensureDeferred
async def test_cancel_a_pending_request_and_rebuild_a_finished_build(build_env: BuildEnv) -> None:
    await start(build_env)
    hold, _ = await build_env.force("hold")
    await eventually(lambda: bool(build_env.m.botmaster and build_env.m.botmaster.builds))
    bsid, brid = await build_env.force("slow")
    status, body = await build_env.rpc(f"buildrequests/{brid}", "cancel", reason="not needed")
    assert status == 200 and "error" not in body
    assert (await build_env.finished(bsid))["results"] == 6
    request = (await build_env.get(f"buildrequests/{brid}"))["buildrequests"][0]
    assert request["results"] == 6 and request["complete"]
    # cancelling the running request stops its build
    hold_brid = (await build_env.get("buildrequests?buildsetid=" + str(hold)))["buildrequests"][0]
    status, _ = await build_env.rpc(f"buildrequests/{hold_brid['buildrequestid']}", "cancel")
    assert status == 200
    assert (await build_env.finished(hold))["results"] == 6

    first, _ = await build_env.force("collapsing", {"p": "kept"}, branch="b1")
    await build_env.finished(first)
    old = (await build_env.get("builds?order=-buildid&limit=1"))["builds"][0]
    status, body = await build_env.rpc(f"builds/{old['buildid']}", "rebuild")
    assert status == 200, body
    new_bsid = body["result"][0]
    assert (await build_env.finished(new_bsid))["results"] == 0
    buildset = (await build_env.get(f"buildsets/{new_bsid}"))["buildsets"][0]
    assert buildset["rebuilt_buildid"] == old["buildid"]
    assert buildset["sourcestamps"][0]["branch"] == "b1"
    rebuilt = (await build_env.get("builds?order=-buildid&limit=1&property=p"))["builds"][0]
    assert rebuilt["properties"]["p"][0] == "kept"


@pytest_twisted.ensureDeferred
async def test_requests_run_by_priority_then_age(build_env: BuildEnv) -> None:
    await start(build_env)
    _hold, _ = await build_env.force("hold")
    await eventually(lambda: bool(build_env.m.botmaster and build_env.m.botmaster.builds))
    data = build_env.m.data
    assert data is not None
    builderid = await builder_id(build_env, "queued")
    order: list[int] = []
    consumer = build_env.m.mq.start_consuming(
        lambda key, msg: order.append(msg["buildrequestid"]), "builds/*/new"
    )
    brids = []
    for priority in (0, 5, 1):
        bsid, requests = await data.buildsets.add_buildset(
            scheduler="test", sourcestamps=[{"codebase": ""}], reason="r",
            builderids=[builderid], priority=priority,
        )  # fmt: skip
        brids.append((bsid, requests[builderid]))
    next(iter(build_env.m.botmaster.builds)).stop("make room")  # type: ignore[union-attr]
    for bsid, _ in brids:
        await build_env.finished(bsid)
    consumer.stop_consuming()
    assert order == [brids[1][1], brids[2][1], brids[0][1]]


@pytest_twisted.ensureDeferred
async def test_next_worker_and_can_start_build_choose_the_worker(build_env: BuildEnv) -> None:
    await start(build_env, max_builds=2)
    bsid, brid = await build_env.force("hooked")
    await build_env.finished(bsid)
    avoid, avoid_brid = await build_env.force("hooked", {"avoid_w2": True})
    await build_env.finished(avoid)
    workers = {w["workerid"]: w["name"] for w in (await build_env.get("workers"))["workers"]}
    first = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"][0]
    second = (await build_env.get(f"buildrequests/{avoid_brid}/builds"))["builds"][0]
    assert workers[first["workerid"]] == "w2"  # nextWorker picks the last by name
    assert workers[second["workerid"]] == "w1"  # canStartBuild refused w2


PRIORITIZED = """
c['workers'] = [worker.Worker('w1', 'pw', max_builds=1)]
quick = util.BuildFactory([steps.ShellCommand(command='true')])
c['builders'] = [
    util.BuilderConfig(name='hold', workernames=['w1'],
                       factory=util.BuildFactory([steps.ShellCommand(command=['sleep', '30'])])),
    util.BuilderConfig(name='routine', workernames=['w1'], factory=quick),
    util.BuilderConfig(name='urgent', workernames=['w1'], factory=quick),
]

async def prioritize(master, builders):
    # Buildbot's shape: reorder the builders given; their methods may be awaited.
    oldest = [await b.getOldestRequestTime() for b in builders]
    newest = {b.name: await b.getNewestCompleteTime() for b in builders}
    # (a hook that raises is logged and leaves the default order)
    assert None not in oldest and newest['urgent'] is None and newest['routine'] > 0, newest
    return sorted(builders, key=lambda b: b.name != 'urgent')

c['prioritizeBuilders'] = prioritize
"""


@pytest_twisted.ensureDeferred
async def test_prioritize_builders_decides_which_builder_gets_the_free_worker(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(PRIORITIZED)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    botmaster = build_env.m.botmaster
    assert botmaster is not None
    done, _ = await build_env.force("routine")  # a finished build for getNewestCompleteTime
    await build_env.finished(done)
    await build_env.force("hold")  # w1's only slot is taken while the others queue
    await eventually(lambda: bool(botmaster.builds))
    started: list[int] = []
    consumer = build_env.m.mq.start_consuming(
        lambda key, msg: started.append(msg["builderid"]), "builds/*/new"
    )
    # 'routine' is asked for first; by default (oldest request, then name) it would go first.
    routine, _ = await build_env.force("routine")
    urgent, _ = await build_env.force("urgent")
    next(iter(botmaster.builds)).stop("make room")
    for bsid in (routine, urgent):
        assert (await build_env.finished(bsid))["results"] == 0
    consumer.stop_consuming()
    assert started == [
        await builder_id(build_env, "urgent"),
        await builder_id(build_env, "routine"),
    ]
