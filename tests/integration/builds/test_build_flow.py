"""Step flow in real builds: failures, haltOnFailure, alwaysRun, doStepIf, hideStepIf, errors."""

from __future__ import annotations

from typing import Any

import pytest_twisted

from tests.integration.builds.conftest import BuildEnv

CONFIG = """
c['workers'] = [worker.Worker('w1', 'pw')]

def steps_of(*items):
    return util.BuildFactory(list(items))

fail = lambda name, **kw: steps.ShellCommand(name=name, command='exit 1', **kw)
ok = lambda name, **kw: steps.ShellCommand(name=name, command='true', **kw)

c['builders'] = [
    util.BuilderConfig(name='flunk', workernames=['w1'], factory=steps_of(
        fail('f1'), ok('after'))),
    util.BuilderConfig(name='halt', workernames=['w1'], factory=steps_of(
        fail('f1', haltOnFailure=True), ok('skipped'), ok('cleanup', alwaysRun=True))),
    util.BuilderConfig(name='warn', workernames=['w1'], factory=steps_of(
        fail('f1', flunkOnFailure=False, warnOnFailure=True), ok('after'))),
    util.BuilderConfig(name='conditions', workernames=['w1'], factory=steps_of(
        ok('never', doStepIf=False),
        ok('by_prop', doStepIf=util.Property('run_it')),
        ok('by_fn', doStepIf=lambda step: step.getProperty('run_it') == 'no'),
        ok('hidden', hideStepIf=True),
        ok('hidden_if_ok', hideStepIf=lambda results, step: results == util.SUCCESS))),
    util.BuilderConfig(name='broken', workernames=['w1'], factory=steps_of(
        steps.ShellCommand(name='bad', command=util.Interpolate(
            'echo %(kw:x)s', x=util.Transform(lambda: 1 / 0))),
        ok('after'))),
    util.BuilderConfig(name='warnings', workernames=['w1'], factory=steps_of(
        steps.ShellCommand(name='supp', command='echo "None : deprecated" > supp.txt'),
        steps.Compile(command='echo "a.c:1: warning: x"; echo "b.c:2: warning: deprecated"',
                      suppressionFile='supp.txt', warnOnWarnings=True),
        steps.Compile(name='missing', command='true', suppressionFile='nope.txt'))),
    util.BuilderConfig(name='decoded', workernames=['w1'], factory=steps_of(
        steps.ShellCommand(name='rc3', command='exit 3', warnOnWarnings=True,
                           decodeRC={0: util.SUCCESS, 3: util.WARNINGS}))),
]
"""


async def run_build(env: BuildEnv, builder: str, **props: Any) -> tuple[dict[str, Any], list[Any]]:
    bsid, brid = await env.force(builder, props)
    await env.finished(bsid)
    build = (await env.get(f"buildrequests/{brid}/builds"))["builds"][0]
    steps = (await env.get(f"builds/{build['buildid']}/steps"))["steps"]
    return build, steps


@pytest_twisted.ensureDeferred
async def test_step_results_combine_into_the_build_result(build_env: BuildEnv) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")

    build, steps = await run_build(build_env, "flunk")
    assert build["results"] == 2  # FAILURE, and the next step still ran
    assert [(s["name"], s["results"]) for s in steps] == [("f1", 2), ("after", 0)]
    assert steps[0]["state_string"] == "'exit 1' (failure)"

    build, steps = await run_build(build_env, "halt")
    assert build["results"] == 2
    assert [s["name"] for s in steps] == ["f1", "cleanup"]  # halted; alwaysRun still ran
    assert steps[1]["results"] == 0

    build, steps = await run_build(build_env, "warn")
    assert build["results"] == 1  # WARNINGS
    assert [s["results"] for s in steps] == [2, 0]

    build, steps = await run_build(build_env, "decoded")
    assert build["results"] == 1 and steps[0]["results"] == 1


@pytest_twisted.ensureDeferred
async def test_do_step_if_and_hide_step_if(build_env: BuildEnv) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    build, steps = await run_build(build_env, "conditions", run_it="yes")
    assert build["results"] == 0
    by_name = {s["name"]: s for s in steps}
    assert by_name["never"]["results"] == 3 and by_name["never"]["state_string"] == "skipped"
    assert by_name["by_prop"]["results"] == 0
    assert by_name["by_fn"]["results"] == 3
    assert by_name["hidden"]["hidden"] and by_name["hidden_if_ok"]["hidden"]
    assert not by_name["by_prop"]["hidden"]


@pytest_twisted.ensureDeferred
async def test_a_bad_renderable_is_an_exception_in_the_build_not_a_crash(
    build_env: BuildEnv,
) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    build, steps = await run_build(build_env, "broken")
    assert build["results"] == 4  # EXCEPTION ends the build
    assert [s["name"] for s in steps] == ["bad"]
    assert "ZeroDivisionError" in steps[0]["state_string"]
    logs = (await build_env.get(f"steps/{steps[0]['stepid']}/logs"))["logs"]
    assert [log["name"] for log in logs] == ["err.text"]
    text = await build_env.log_text(build["buildid"], 0, "err.text")
    assert "ZeroDivisionError" in text
    # the master goes on building
    build, _ = await run_build(build_env, "decoded")
    assert build["results"] == 1


@pytest_twisted.ensureDeferred
async def test_compile_reads_its_suppression_file_from_the_worker(build_env: BuildEnv) -> None:
    build_env.write_config(CONFIG)
    build_env.start_worker("w1")
    await build_env.start_master("w1")
    build, steps = await run_build(build_env, "warnings")
    assert [s["results"] for s in steps] == [0, 1, 2]
    assert steps[1]["state_string"] == "compile (1 warnings)"
    assert await build_env.log_text(build["buildid"], 1, "warnings__1_") == "a.c:1: warning: x\n"
    assert steps[2]["state_string"].startswith("cannot read nope.txt from the worker")
