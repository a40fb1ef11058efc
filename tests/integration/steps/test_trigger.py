"""Trigger with Triggerable schedulers: child builds, their properties and stamps, the results."""

from __future__ import annotations

import pytest_twisted

from marid.process.results import CANCELLED, FAILURE, SUCCESS
from tests.integration.builds.conftest import eventually
from tests.integration.steps.conftest import BuildEnv, run_build, stdio

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]
parent = util.BuildFactory()
parent.addStep(steps.SetProperty(property='got_revision', value='feedbeef'))
parent.addStep(steps.Trigger(name='wait', schedulerNames=['kids'], waitForFinish=True,
    set_properties={'mode': util.Interpolate('from-%(prop:buildername)s'),
                    'fail': util.Property('fail', default='no')},
    copy_properties=['colour']))
parent.addStep(steps.Trigger(name='fire', schedulerNames=['kids'], alwaysUseLatest=True,
    set_properties={'fail': 'no'}, haltOnFailure=False))
kid = util.BuildFactory()
kid.addStep(steps.ShellCommand(name='kid', usePTY=False,
    command=util.Interpolate('echo %(prop:mode)s %(prop:colour)s %(src::revision)s; '
                             'test %(prop:fail)s = no')))
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=parent),
                 util.BuilderConfig(name='kid', workernames=['w1'], factory=kid)]
c['schedulers'] = [schedulers.Triggerable(name='kids', builderNames=['kid'])]
c['buildbotURL'] = 'http://ci.example.org/'
"""


async def start(env: BuildEnv, body: str = CONFIG) -> None:
    env.write_config(body)
    env.start_worker("w1")
    await env.start_master("w1")


@pytest_twisted.ensureDeferred
async def test_waiting_trigger_passes_properties_and_got_revision_and_links_builds(
    build_env: BuildEnv,
) -> None:
    await start(build_env)
    build = await run_build(build_env, properties={"colour": "red"}, branch="main", revision="r1")
    assert build.results == SUCCESS
    wait = build.step("wait")
    assert wait["results"] == SUCCESS
    assert wait["state_string"] == "triggered kids: success"
    names = [url["name"] for url in wait["urls"]]
    assert names[0].startswith("kids #") and names[1] == "kid #1"
    assert wait["urls"][1]["url"].startswith("http://ci.example.org/#/builders/")
    kid_builds = (await build_env.get("builders/kid/builds"))["builds"]
    first = min(kid_builds, key=lambda b: b["number"])
    kid_text = await build_env.log_text(first["buildid"], 0)
    assert "ofrom-b1 red feedbeef\n" in kid_text
    props = (await build_env.get(f"builds/{first['buildid']}?property=*"))["builds"][0]
    assert props["properties"]["mode"] == ["from-b1", "Trigger"]
    buildsets = (await build_env.get("buildsets"))["buildsets"]
    child = [b for b in buildsets if b["parent_buildid"] == build.buildid]
    assert {b["parent_relationship"] for b in child} == {"Triggered from"}


@pytest_twisted.ensureDeferred
async def test_a_failing_child_fails_the_waiting_trigger(build_env: BuildEnv) -> None:
    await start(build_env)
    build = await run_build(build_env, properties={"fail": "yes"})
    assert build.results == FAILURE
    assert build.step("wait")["results"] == FAILURE
    assert build.step("wait")["state_string"] == "triggered kids: failure (failure)"
    assert build.step("fire")["results"] == SUCCESS  # Trigger does not halt by default


@pytest_twisted.ensureDeferred
async def test_an_unknown_or_wrong_scheduler_fails_before_triggering(build_env: BuildEnv) -> None:
    body = (
        CONFIG
        + """
bad = util.BuildFactory()
bad.addStep(steps.Trigger(name='unknown', schedulerNames=['nope'], haltOnFailure=False))
bad.addStep(steps.Trigger(name='forced', schedulerNames=['force']))
c['builders'].append(util.BuilderConfig(name='bad', workernames=['w1'], factory=bad))
c['schedulers'].append(schedulers.ForceScheduler(name='force', builderNames=['kid']))
"""
    )
    await start(build_env, body)
    build = await run_build(build_env, "bad")
    assert build.results == FAILURE
    states = [s["state_string"] for s in build.steps]
    assert states == [
        "no scheduler named 'nope' is running (failure)",
        "scheduler 'force' is a ForceScheduler, not a Triggerable (failure)",
    ]
    assert "nope" in await stdio(build_env, build, "unknown")
    assert (await build_env.get("builders/kid/builds"))["builds"] == []


@pytest_twisted.ensureDeferred
async def test_stopping_a_waiting_trigger_cancels_the_triggered_build(build_env: BuildEnv) -> None:
    body = """
c['workers'] = [worker.Worker('w1', 'pw')]
parent = util.BuildFactory()
parent.addStep(steps.Trigger(schedulerNames=['kids'], waitForFinish=True))
kid = util.BuildFactory()
kid.addStep(steps.ShellCommand(command=['sleep', '60'], usePTY=False))
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=parent),
                 util.BuilderConfig(name='kid', workernames=['w1'], factory=kid)]
c['schedulers'] = [schedulers.Triggerable(name='kids', builderNames=['kid'])]
"""
    await start(build_env, body)
    bsid, brid = await build_env.force("b1")

    async def kid_running() -> bool:
        builds = (await build_env.get("builders/kid/builds"))["builds"]
        return (
            bool(builds)
            and (await build_env.get(f"builds/{builds[0]['buildid']}/steps"))["steps"] != []
        )

    await eventually(kid_running)
    parent = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"][0]
    status, _ = await build_env.rpc(f"builds/{parent['buildid']}", "stop", reason="enough")
    assert status == 200
    assert (await build_env.finished(bsid, timeout=20))["results"] == CANCELLED

    async def kid_cancelled() -> bool:
        builds = (await build_env.get("builders/kid/builds"))["builds"]
        return builds[0]["complete"] and builds[0]["results"] == CANCELLED

    await eventually(kid_cancelled, timeout=20)
