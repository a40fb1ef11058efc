"""A worker runs at most one build of a builder at a time; ``max_builds`` counts all builders.

Builds are forced over HTTP (JSON-RPC, several clients at once) and watched
the way a user sees them: ``GET /api/v2/builds?complete=false`` sampled
while they run, and the builds' ``started_at``/``complete_at`` afterwards.
The master's own MQ events (``builds/*/new`` and ``builds/*/finished``) give
the exact peak per builder. The tests run with a real ``marid-worker`` and a
real ``buildbot-worker``, with reconnects and reconfigs in the middle of
builds; one makes the master do what it must not (two commands on one
builder) to show ``marid-worker``'s refusal on the step.
"""

from __future__ import annotations

import itertools
import os
import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer
from twisted.logger import formatEvent, globalLogPublisher

from marid.process.results import CANCELLED, EXCEPTION, RETRY, SUCCESS
from tests.integration.builds.conftest import BuildEnv, eventually, sleep
from tests.integration.builds.daemon import force

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw', max_builds={max_builds})]
names = {names!r}
c['builders'] = [
    util.BuilderConfig(name=name, workernames=['w1'], collapseRequests=False,
        factory=util.BuildFactory([
            steps.ShellCommand(command=['sh', '-c', 'pwd; ls; sleep {seconds}'])]))
    for name in names
]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=names)]
"""

KINDS = ["marid-worker", "buildbot-worker"]


def config(names: list[str], max_builds: int, seconds: float) -> str:
    return CONFIG.format(names=names, max_builds=max_builds, seconds=seconds)


@dataclass
class Watch:
    """What the REST samples and the MQ events showed of running builds."""

    rest_peak: int = 0  # most incomplete builds in one sample
    rest_peak_per_builder: int = 0
    samples: int = 0
    active: Counter[int] = field(default_factory=Counter)  # builderid -> running builds
    peak_per_builder: int = 0
    peak: int = 0  # most builds between their "new" and "finished" events
    steps_running: int = 0
    steps_peak: int = 0  # most steps running at once: what the worker runs
    stopped: bool = False

    def new(self, key: Any, msg: dict[str, Any]) -> None:
        self.active[msg["builderid"]] += 1
        self.peak_per_builder = max(self.peak_per_builder, self.active[msg["builderid"]])
        self.peak = max(self.peak, sum(self.active.values()))

    def finished(self, key: Any, msg: dict[str, Any]) -> None:
        self.active[msg["builderid"]] -= 1

    def step_started(self, key: Any, msg: dict[str, Any]) -> None:
        self.steps_running += 1
        self.steps_peak = max(self.steps_peak, self.steps_running)

    def step_finished(self, key: Any, msg: dict[str, Any]) -> None:
        self.steps_running -= 1


async def watch(env: BuildEnv, seen: Watch) -> None:
    """Sample ``builds?complete=false`` until ``seen.stopped``."""
    while not seen.stopped:
        running = (await env.get("builds?complete=false"))["builds"]
        per_builder = Counter(b["builderid"] for b in running)
        seen.samples += 1
        seen.rest_peak = max(seen.rest_peak, len(running))
        seen.rest_peak_per_builder = max(seen.rest_peak_per_builder, *per_builder.values(), 0)
        await sleep(0.02)


async def force_many(env: BuildEnv, builders: list[str], clients: int) -> list[int]:
    """Force every name in ``builders`` through ``clients`` concurrent HTTP clients; bsids."""
    queue = list(builders)
    bsids: list[int] = []

    async def client() -> None:
        while queue:
            bsid, _ = await force(env, queue.pop())
            bsids.append(bsid)

    await defer.gatherResults([defer.Deferred.fromCoroutine(client()) for _ in range(clients)])
    return bsids


async def run_and_watch(env: BuildEnv, builders: list[str], clients: int = 8) -> Watch:
    seen = Watch()
    consumers = [
        env.m.mq.start_consuming(seen.new, "builds/*/new"),
        env.m.mq.start_consuming(seen.finished, "builds/*/finished"),
        env.m.mq.start_consuming(seen.step_started, "steps/*/started"),
        env.m.mq.start_consuming(seen.step_finished, "steps/*/finished"),
    ]
    sampler = defer.Deferred.fromCoroutine(watch(env, seen))
    try:
        bsids = await force_many(env, builders, clients)
        for bsid in bsids:
            await env.finished(bsid, timeout=120)
    finally:
        seen.stopped = True
        await sampler
        for consumer in consumers:
            consumer.stop_consuming()
    return seen


async def builds_by_builder(env: BuildEnv) -> dict[int, list[dict[str, Any]]]:
    builds = (await env.get("builds?order=buildid"))["builds"]
    found: dict[int, list[dict[str, Any]]] = {}
    for build in builds:
        found.setdefault(build["builderid"], []).append(build)
    return found


def assert_no_overlap(builds: list[dict[str, Any]]) -> None:
    """Each build of one builder starts after the one before it completed."""
    ordered = sorted(builds, key=lambda b: (b["started_at"], b["buildid"]))
    for before, after in itertools.pairwise(ordered):
        assert after["started_at"] >= before["complete_at"], (before, after)


async def start(env: BuildEnv, kind: str, body: str) -> None:
    env.write_config(body)
    env.start_worker("w1", kind=kind)
    await env.start_master("w1")


@pytest.mark.parametrize("kind", KINDS)
@pytest_twisted.ensureDeferred
async def test_sixty_forced_builds_of_one_builder_run_one_at_a_time_and_all_succeed(
    build_env: BuildEnv, kind: str
) -> None:
    await start(build_env, kind, config(["b1"], max_builds=4, seconds=0.05))
    seen = await run_and_watch(build_env, ["b1"] * 60)
    (builds,) = (await builds_by_builder(build_env)).values()
    assert [b["results"] for b in builds] == [SUCCESS] * 60
    assert seen.peak_per_builder == 1
    assert seen.samples > 10 and seen.rest_peak_per_builder == 1
    assert_no_overlap(builds)


@pytest.mark.parametrize("kind", KINDS)
@pytest_twisted.ensureDeferred
async def test_three_builders_on_a_max_builds_2_worker_run_two_builds_but_never_two_of_one(
    build_env: BuildEnv, kind: str
) -> None:
    names = ["a", "b", "c"]
    await start(build_env, kind, config(names, max_builds=2, seconds=0.3))
    seen = await run_and_watch(build_env, names * 4, clients=4)
    builds = await builds_by_builder(build_env)
    assert sorted(len(b) for b in builds.values()) == [4, 4, 4]
    for of_one in builds.values():
        assert [b["results"] for b in of_one] == [SUCCESS] * 4
        assert_no_overlap(of_one)
    assert seen.steps_peak == 2  # max_builds is used...
    assert seen.peak_per_builder == 1  # ...by builds of different builders
    assert seen.rest_peak_per_builder == 1
    # A build's slot is free once its last step ends, before its end is stored, so a build of
    # another builder may be listed as started a moment before the previous one is complete.
    assert seen.peak <= 3 and seen.rest_peak <= 3


RECONNECT = """
c['workers'] = [worker.Worker('w1', 'pw', max_builds=4)]
# The first build sleeps (and records its pid); the builds after it do not.
script = ('if [ -f marker ]; then ls; sleep 0.1; '
          'else touch marker; echo $$ > ../sleeper.pid; exec sleep 60; fi')
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], collapseRequests=False,
    factory=util.BuildFactory([steps.ShellCommand(command=['sh', '-c', script])]))]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['b1'])]
"""


def process_exists(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


@pytest.mark.parametrize("kind", KINDS)
@pytest_twisted.ensureDeferred
async def test_a_worker_that_reconnects_mid_build_retries_it_then_runs_one_build_at_a_time(
    build_env: BuildEnv, kind: str
) -> None:
    await start(build_env, kind, RECONNECT)
    pidfile = build_env.worker_dir("w1") / "b1" / "sleeper.pid"
    seen = Watch()
    consumers = [
        build_env.m.mq.start_consuming(seen.new, "builds/*/new"),
        build_env.m.mq.start_consuming(seen.finished, "builds/*/finished"),
    ]
    sampler = defer.Deferred.fromCoroutine(watch(build_env, seen))
    try:
        bsids = [(await force(build_env, "b1"))[0]]
        await eventually(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
        sleeper = int(pidfile.read_text())
        bsids += [(await force(build_env, "b1"))[0] for _ in range(3)]
        workers = build_env.m.workers
        assert workers is not None
        old = workers.get_connection("w1")
        status, body = await build_env.rpc("workers/w1", "kill", reason="a network blip")
        assert status == 200, body
        # the worker comes back by itself; the master drops only the connection
        await eventually(lambda: workers.get_connection("w1") not in (None, old))
        for bsid in bsids:
            assert (await build_env.finished(bsid))["results"] == SUCCESS
    finally:
        seen.stopped = True
        await sampler
        for consumer in consumers:
            consumer.stop_consuming()
    (builds,) = (await builds_by_builder(build_env)).values()
    assert sorted(b["results"] for b in builds) == [SUCCESS] * 4 + [RETRY]
    assert builds[0]["results"] == RETRY
    assert not process_exists(sleeper), "the worker killed the lost build's command"
    assert seen.peak_per_builder == 1 and seen.rest_peak_per_builder == 1
    assert_no_overlap(builds)


TWO_AT_ONCE = """
from twisted.internet import defer, reactor, task
from marid.process.remotecommand import RemoteCommand

def shell(script):
    return {'workdir': 'build', 'command': ['sh', '-c', script], 'logEnviron': False}

class TwoAtOnce(steps.BuildStep):
    # what a master that lost track of its builds would do: a second command on the builder
    async def run(self):
        first = defer.Deferred.fromCoroutine(
            self.run_command('shell', shell('sleep 1; echo first done')))
        await task.deferLater(reactor, 0.3, lambda: None)
        try:
            await RemoteCommand('shell', shell('echo second')).run(
                self.build.connection, self.builder_name)
        finally:
            await first
        return util.SUCCESS

c['workers'] = [worker.Worker('w1', 'pw')]
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'],
                                    factory=util.BuildFactory([TwoAtOnce(name='two')]))]
"""


@pytest_twisted.ensureDeferred
async def test_marid_worker_refuses_a_second_command_on_a_builder_and_the_step_shows_why(
    build_env: BuildEnv,
) -> None:
    said: list[str] = []
    observer = lambda event: said.append(formatEvent(event) or "")  # noqa: E731
    globalLogPublisher.addObserver(observer)
    try:
        await start(build_env, "marid-worker", TWO_AT_ONCE)
        bsid, brid = await build_env.force("b1")
        assert (await build_env.finished(bsid))["results"] == EXCEPTION
    finally:
        globalLogPublisher.removeObserver(observer)
    (build,) = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    (step,) = (await build_env.get(f"builds/{build['buildid']}/steps"))["steps"]
    assert step["results"] == EXCEPTION
    assert "still running command" in step["state_string"]
    refusal = re.compile(r"builder 'b1' is still running command \d+ \(shell, running\); "
                         r"refusing command \d+ \(shell\)")  # fmt: skip
    assert refusal.search(await build_env.log_text(build["buildid"], step["number"], "err.text"))
    assert "first done\n" in await build_env.log_text(build["buildid"], step["number"])
    assert any(refusal.search(line) for line in said)  # the master's log
    worker_log = (build_env.worker_dir("w1") / "marid-worker.log").read_text()
    assert refusal.search(worker_log)


@pytest.mark.parametrize("kind", KINDS)
@pytest_twisted.ensureDeferred
async def test_a_reconfig_that_lowers_max_builds_lets_running_builds_finish_and_starts_fewer(
    build_env: BuildEnv, kind: str
) -> None:
    names = ["a", "b", "c"]
    await start(build_env, kind, config(names, max_builds=3, seconds=2))
    workers = build_env.m.workers
    assert workers is not None
    at_start: list[int] = []  # running builds on w1 as each build after the reconfig starts
    lowered = [False]

    def started(key: Any, msg: Any) -> None:
        if lowered[0]:
            at_start.append(workers.running_builds("w1"))

    consumer = build_env.m.mq.start_consuming(started, "builds/*/new")
    seen = Watch()
    watcher = build_env.m.mq.start_consuming(seen.new, "builds/*/new")
    finisher = build_env.m.mq.start_consuming(seen.finished, "builds/*/finished")
    try:
        bsids = [(await force(build_env, name))[0] for name in ["a", "a", "b", "b", "c", "c"]]
        await eventually(lambda: workers.running_builds("w1") == 3)
        build_env.write_config(config(names, max_builds=1, seconds=0.5))
        assert await build_env.m.reconfig()  # master.cfg is evaluated in a thread meanwhile
        lowered[0] = True
        assert workers.running_builds("w1") == 3  # the running builds go on
        for bsid in bsids:
            assert (await build_env.finished(bsid))["results"] == SUCCESS
    finally:
        for each in (consumer, watcher, finisher):
            each.stop_consuming()
    assert at_start == [1, 1, 1]  # each of the other three ran alone
    assert seen.peak_per_builder == 1
    for of_one in (await builds_by_builder(build_env)).values():
        assert_no_overlap(of_one)


REMOVABLE = """
c['workers'] = [worker.Worker('w1', 'pw', max_builds=2)]
# 'gone' sleeps in its first build (and records its pid), not in later ones
slow = ('if [ -f marker ]; then ls; '
        'else touch marker; echo $$ > ../sleeper.pid; exec sleep 60; fi')
def factory(script):
    return util.BuildFactory([steps.ShellCommand(command=['sh', '-c', script]),
                              steps.ShellCommand(command='true', alwaysRun=True)])
builders = {
    'keep': util.BuilderConfig(name='keep', workernames=['w1'], collapseRequests=False,
                               factory=factory('ls; sleep 0.2')),
    'gone': util.BuilderConfig(name='gone', workernames=['w1'], collapseRequests=False,
                               factory=factory(slow)),
}
names = %r
c['builders'] = [builders[name] for name in names]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=names)]
"""


@pytest.mark.parametrize("kind", KINDS)
@pytest_twisted.ensureDeferred
async def test_a_builder_removed_by_reconfig_has_its_build_stopped_and_frees_the_worker(
    build_env: BuildEnv, kind: str
) -> None:
    await start(build_env, kind, REMOVABLE % (["keep", "gone"],))
    workers = build_env.m.workers
    assert workers is not None
    pidfile = build_env.worker_dir("w1") / "gone" / "sleeper.pid"
    gone, gone_brid = await force(build_env, "gone")
    queued, queued_brid = await force(build_env, "gone")
    await eventually(lambda: pidfile.exists() and pidfile.read_text().strip() != "")
    sleeper = int(pidfile.read_text())
    kept = [(await force(build_env, "keep"))[0] for _ in range(3)]

    build_env.write_config(REMOVABLE % (["keep"],))
    assert await build_env.m.reconfig()
    assert (await build_env.finished(gone, timeout=20))["results"] == CANCELLED
    (build,) = (await build_env.get(f"buildrequests/{gone_brid}/builds"))["builds"]
    assert build["state_string"] == "cancelled: builder 'gone' was removed from the configuration"
    steps = (await build_env.get(f"builds/{build['buildid']}/steps"))["steps"]
    assert [s["results"] for s in steps] == [CANCELLED]  # not even the alwaysRun step ran
    await eventually(lambda: not process_exists(sleeper), timeout=10)
    for bsid in kept:
        assert (await build_env.finished(bsid))["results"] == SUCCESS
    await eventually(lambda: workers.running_builds("w1") == 0)
    # the removed builder's other request waits, unclaimed, for the builder to come back
    request = (await build_env.get(f"buildrequests/{queued_brid}"))["buildrequests"][0]
    assert not request["claimed"] and not request["complete"]
    assert (await build_env.get(f"buildrequests/{queued_brid}/builds"))["builds"] == []

    build_env.write_config(REMOVABLE % (["keep", "gone"],))
    assert await build_env.m.reconfig()
    assert (await build_env.finished(queued))["results"] == SUCCESS


MOVABLE = """
c['workers'] = [worker.Worker('w1', 'pw')]
script = 'if [ -f ../../started ]; then pwd; else touch ../../started; exec sleep 60; fi'
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], workerbuilddir=%r,
    collapseRequests=False,
    factory=util.BuildFactory([steps.ShellCommand(command=['sh', '-c', script])]))]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['b1'])]
"""


@pytest.mark.parametrize("kind", KINDS)
@pytest_twisted.ensureDeferred
async def test_a_reconfig_that_moves_a_builders_directory_stops_the_build_running_in_the_old(
    build_env: BuildEnv, kind: str
) -> None:
    await start(build_env, kind, MOVABLE % "here")
    first, first_brid = await force(build_env, "b1")
    await eventually((build_env.worker_dir("w1") / "started").exists)
    second, second_brid = await force(build_env, "b1")
    build_env.write_config(MOVABLE % "there")
    assert await build_env.m.reconfig()
    assert (await build_env.finished(first, timeout=20))["results"] == CANCELLED
    (build,) = (await build_env.get(f"buildrequests/{first_brid}/builds"))["builds"]
    moved = "cancelled: builder 'b1' moved to directory 'there' on the worker"
    assert build["state_string"] == moved
    assert (await build_env.finished(second))["results"] == SUCCESS
    (build,) = (await build_env.get(f"buildrequests/{second_brid}/builds"))["builds"]
    assert "/there/build\n" in await build_env.log_text(build["buildid"], 0)
