"""Forced builds of shell steps on a real ``marid-worker``: results, steps, logs, properties."""

from __future__ import annotations

import pytest_twisted

from tests.integration.builds.conftest import BuildEnv

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory()
f.addStep(steps.ShellCommand(name='hello', command=['sh', '-c', 'echo hello; echo oops >&2']))
f.addStep(steps.ShellCommand(
    name='who', command=util.Interpolate('echo %(prop:buildername)s-%(prop:extra)s')))
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f,
                                    properties={'from_builder': 'yes'})]
"""


@pytest_twisted.ensureDeferred
async def test_forced_build_of_two_shell_commands_succeeds_with_steps_and_logs(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    bsid, brid = await build_env.force("b1", {"extra": "x"})
    assert (await build_env.finished(bsid))["results"] == 0
    builds = (await build_env.get(f"buildrequests/{brid}/builds"))["builds"]
    assert len(builds) == 1 and builds[0]["results"] == 0 and builds[0]["complete"]
    buildid = builds[0]["buildid"]
    steps = (await build_env.get(f"builds/{buildid}/steps"))["steps"]
    assert [s["name"] for s in steps] == ["hello", "who"]
    assert all(s["results"] == 0 for s in steps)
    text = await build_env.log_text(buildid, 0)
    assert "ohello\n" in text and "eoops\n" in text and text.startswith("h")
    assert "ob1-x\n" in await build_env.log_text(buildid, 1)
    props = (await build_env.get(f"builds/{buildid}?property=*"))["builds"][0]["properties"]
    assert props["buildername"] == ["b1", "Builder"]
    assert props["workername"] == ["w1", "Worker"]
    assert props["buildnumber"][0] == builds[0]["number"]
    assert props["from_builder"] == ["yes", "Builder"]
    assert props["extra"] == ["x", "Test"]
    request = (await build_env.get(f"buildrequests/{brid}"))["buildrequests"][0]
    assert request["complete"] and request["results"] == 0


FORCE_CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]
f = util.BuildFactory([steps.ShellCommand(
    command=util.Interpolate('echo %(prop:owner)s %(prop:reason)s %(prop:color)s'))])
c['builders'] = [util.BuilderConfig(name='b1', workernames=['w1'], factory=f)]
c['schedulers'] = [schedulers.ForceScheduler(
    name='force', builderNames=['b1'],
    properties=[util.ChoiceStringParameter(name='color', choices=['red', 'blue'], default='red')])]
"""


@pytest_twisted.ensureDeferred
async def test_a_build_forced_through_json_rpc_runs_with_the_form_properties(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(FORCE_CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    status, body = await build_env.rpc(
        "forceschedulers/force", "force", builderNames=["b1"], owner="ann", color="blue"
    )
    assert status == 200, body
    bsid = body["result"][0]
    assert (await build_env.finished(bsid))["results"] == 0
    build = (await build_env.get("builds?property=owner"))["builds"][0]
    assert build["properties"]["owner"][0] == "ann"
    assert "oann force build blue\n" in await build_env.log_text(build["buildid"], 0)
