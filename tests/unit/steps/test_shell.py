"""Shell steps against a scripted worker: arguments, results, sequences, warnings, properties."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest_twisted

from marid.config.errors import ErrorCollector
from marid.process.interpolate import Interpolate
from marid.process.renderables import Property
from marid.process.results import CANCELLED, EXCEPTION, FAILURE, SUCCESS, WARNINGS
from marid.steps import shell as shell_steps
from marid.steps.properties import (
    Assert,
    LogRenderable,
    SetProperties,
    SetProperty,
    SetPropertyFromCommand,
)
from marid.steps.shell import Compile, Configure, ShellCommand
from marid.steps.shellsequence import ShellArg, ShellSequence
from marid.steps.warnings import WarningCounter
from tests.unit.steps.harness import ScriptedWorker, make_build, run, shell_argvs


def answer(rc: int = 0, stdout: str = "", stderr: str = "", **extra: Any) -> Any:
    def handler(name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        updates: list[dict[str, Any]] = [{"header": "running\n"}]
        if stdout:
            updates.append({"stdout": stdout})
        if stderr:
            updates.append({"stderr": stderr})
        return [*updates, {"rc": rc, **extra}]

    return handler


def errors_of(obj: Any) -> list[str]:
    errors = ErrorCollector("master.cfg")
    obj.check_config(errors)
    return [e.message for e in errors.errors]


@pytest_twisted.ensureDeferred
async def test_shell_command_sends_buildbots_arguments(tmp_path: Path) -> None:
    worker = ScriptedWorker(answer(stdout="hi\n"))
    step = ShellCommand(
        command=["echo", ["nested", 3]],
        workdir=Interpolate("%(prop:sub)s"),
        env={"A": "1"},
        timeout=5,
        maxTime=9,
        logfiles={"extra": "out.log"},
    )
    outcome = await run(step, worker, tmp_path, properties={"sub": "src"})
    assert outcome.result == SUCCESS
    name, args = worker.commands[0]
    assert name == "shell"
    assert args["command"] == ["echo", "nested", "3"]
    assert args["workdir"] == "src" and args["env"] == {"A": "1"}
    assert (args["timeout"], args["maxTime"], args["usePTY"]) == (5, 9, False)
    assert args["logfiles"] == {"extra": "out.log"}
    assert outcome.logs["stdio"] == "running\nhi\n"
    assert outcome.status == "'echo nested 3'"


@pytest_twisted.ensureDeferred
async def test_exit_codes_timeouts_and_decode_rc(tmp_path: Path) -> None:
    outcome = await run(ShellCommand(command="false"), ScriptedWorker(answer(rc=1)), tmp_path)
    assert outcome.result == FAILURE and outcome.status == "'false' (failure)"
    worker = ScriptedWorker(answer(rc=-1, failure_reason="timeout"))
    assert (
        await run(ShellCommand(command="x", decodeRC={-1: SUCCESS}), worker, tmp_path)
    ).result == FAILURE
    worker = ScriptedWorker(answer(rc=3))
    step = ShellCommand(command="x", decodeRC={0: SUCCESS, 3: WARNINGS})
    assert (await run(step, worker, tmp_path)).result == WARNINGS


@pytest_twisted.ensureDeferred
async def test_logfiles_output_goes_to_its_own_log(tmp_path: Path) -> None:
    def handler(name: str, args: dict[str, Any]) -> list[dict[str, Any]]:
        return [{"log": ("extra", "from file\n")}, {"rc": 0}]

    outcome = await run(
        ShellCommand(command="x", logfiles={"extra": "f"}, lazylogfiles=True),
        ScriptedWorker(handler),
        tmp_path,
    )
    assert outcome.logs["extra"] == "ofrom file\n"


@pytest_twisted.ensureDeferred
async def test_builder_env_is_merged_under_the_step_env(tmp_path: Path) -> None:
    worker = ScriptedWorker(answer())
    build, _ = make_build(worker, tmp_path)
    build.builder.config.env = {"A": "builder", "B": Interpolate("%(prop:workername)s")}  # type: ignore[misc]
    build.properties.setProperty("workername", "w1", "Worker")
    from marid.process.steprunner import run_step

    await run_step(build, ShellCommand(command="x", env={"A": "step"}).new_instance())
    assert worker.commands[0][1]["env"] == {"A": "step", "B": "w1"}


def test_shell_command_needs_a_command() -> None:
    assert errors_of(ShellCommand()) == ["ShellCommand: a command is required"]
    assert errors_of(ShellCommand(command=3)) == [
        "ShellCommand: command must be a string or a list, not int"
    ]
    assert errors_of(Configure()) == []
    assert Configure().command == ["./configure"] and Configure().haltOnFailure


@pytest_twisted.ensureDeferred
async def test_shell_sequence_runs_in_order_and_honours_each_args_flags(tmp_path: Path) -> None:
    rcs = iter([0, 1, 0, 0])
    worker = ScriptedWorker(lambda name, args: [{"rc": next(rcs)}])
    step = ShellSequence(
        commands=[
            ShellArg(command=["one"], logname="first"),
            ShellArg(command=Interpolate("two %(prop:x)s"), haltOnFailure=True),
            ShellArg(command=["three"]),
        ]
    )
    outcome = await run(step, worker, tmp_path, properties={"x": "y"})
    assert outcome.result == FAILURE
    assert [args["command"] for _, args in worker.commands] == [["one"], "two y"]
    assert set(outcome.logs) == {"first", "stdio"}


@pytest_twisted.ensureDeferred
async def test_shell_sequence_failures_that_do_not_flunk(tmp_path: Path) -> None:
    worker = ScriptedWorker(answer(rc=1))
    step = ShellSequence(
        commands=[
            ShellArg(command="a", flunkOnFailure=False),
            ShellArg(command="b", flunkOnFailure=False, warnOnFailure=True),
        ]
    )
    assert (await run(step, worker, tmp_path)).result == WARNINGS
    assert errors_of(ShellSequence(commands=["echo"])) != []
    assert errors_of(ShellArg(command="x", bad=1)) == ["ShellArg: unknown argument 'bad'"]


@pytest_twisted.ensureDeferred
async def test_compile_counts_warnings(tmp_path: Path) -> None:
    output = "a.c:1: warning: unused\nok line\nb.c:2: Warning: shadow\nc.c:3: warning: deprecated\n"
    worker = ScriptedWorker(answer(stdout=output))
    step = Compile(suppressionList=[(None, "deprecated", None, None)])
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == WARNINGS
    assert outcome.logs["warnings (2)"] == "a.c:1: warning: unused\nb.c:2: Warning: shadow\n"
    assert outcome.properties.getProperty("warnings-count") == 2
    assert outcome.status == "compile (2 warnings)"
    assert worker.commands[0][1]["command"] == ["make", "all"]
    worker = ScriptedWorker(answer(stdout=output))
    assert (await run(Compile(maxWarnCount=1), worker, tmp_path)).result == FAILURE
    assert (await run(shell_steps.Test(), ScriptedWorker(answer()), tmp_path)).result == SUCCESS


def test_warning_counter_lines_split_across_updates_and_regexp_groups() -> None:
    counter = WarningCounter(
        r"^(\S+):(\d+): warning: (.*)$",
        WarningCounter.regexp_groups,
        [(r"gen/.*", None, None, None), (None, "old", 10, 20)],
    )
    counter.feed("stdout", "src/a.c:3: warn")
    counter.feed("stdout", "ing: x\ngen/b.c:4: warning: y\nsrc/c.c:15: warning: old api\n")
    counter.feed("header", "h.c:1: warning: not output\n")
    counter.feed("stderr", "src/d.c:30: warning: old api")
    counter.finish()
    assert counter.warnings == ["src/a.c:3: warning: x", "src/d.c:30: warning: old api"]
    assert WarningCounter.parse_suppressions("# c\n\nfoo.c : bar : 3-5\nNone:baz\n") == [
        ("foo.c", "bar", 3, 5),
        (None, "baz", None, None),
    ]


@pytest_twisted.ensureDeferred
async def test_set_property_from_command(tmp_path: Path) -> None:
    worker = ScriptedWorker(answer(stdout="  value \n", stderr="noise\n"))
    outcome = await run(SetPropertyFromCommand(command="x", property="p"), worker, tmp_path)
    assert outcome.result == SUCCESS and outcome.properties.getProperty("p") == "value"
    assert outcome.status == "property 'p' set"
    worker = ScriptedWorker(answer(rc=2, stdout="a=1\n", stderr="e\n"))
    seen: list[Any] = []

    def extract(rc: int, stdout: str, stderr: str) -> dict[str, Any]:
        seen.append((rc, stdout, stderr))
        return {"a": 1, "b": 2}

    step = SetPropertyFromCommand(command="x", extract_fn=extract, includeStderr=True)
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == FAILURE and seen == [(2, "a=1\n", "e\n")]
    assert outcome.properties.getProperty("b") == 2 and outcome.status.startswith(
        "2 properties set"
    )
    worker = ScriptedWorker(answer(rc=1, stdout="v\n"))
    outcome = await run(SetPropertyFromCommand(command="x", property="p"), worker, tmp_path)
    assert outcome.result == FAILURE and not outcome.properties.hasProperty("p")
    assert len(errors_of(SetPropertyFromCommand(command="x"))) == 1
    bad = SetPropertyFromCommand(command="x", extract_fn=lambda *a: "not a dict")
    assert (await run(bad, ScriptedWorker(answer()), tmp_path)).result == EXCEPTION


@pytest_twisted.ensureDeferred
async def test_property_steps_without_a_worker(tmp_path: Path) -> None:
    worker = ScriptedWorker(answer())
    outcome = await run(
        SetProperty(property="p", value=Property("q")), worker, tmp_path, properties={"q": 5}
    )
    assert outcome.properties.getProperty("p") == 5 and outcome.status == "Set"
    outcome = await run(
        SetProperties(properties=lambda props: {"x": props.getProperty("q")}),
        worker,
        tmp_path,
        properties={"q": 1},
    )
    assert outcome.properties.getProperty("x") == 1
    outcome = await run(
        LogRenderable(content={"k": Property("q")}), worker, tmp_path, properties={"q": 2}
    )
    assert outcome.logs["Output"] == "{'k': 2}\n"
    assert (
        await run(Assert(check=Property("q")), worker, tmp_path, properties={"q": 0})
    ).result == FAILURE
    assert (
        await run(Assert(check=Property("q")), worker, tmp_path, properties={"q": 1})
    ).result == SUCCESS
    assert worker.commands == []


@pytest_twisted.ensureDeferred
async def test_an_interrupted_command_cancels_the_step(tmp_path: Path) -> None:
    from twisted.internet import defer

    from marid.process.steprunner import run_step

    worker = ScriptedWorker(lambda name, args: None)
    build, _ = make_build(worker, tmp_path)
    step = ShellCommand(command="sleep").new_instance()
    running = defer.Deferred.fromCoroutine(run_step(build, step))
    step.interrupt("stop")
    assert await running == CANCELLED
    assert shell_argvs(worker) == [["sleep"]] or worker.commands[0][1]["command"] == "sleep"
