"""Running one step of a build: the step row, doStepIf, locks, rendering, run, the result.

``run_step`` never raises for the step's own problems: a false ``doStepIf``
gives SKIPPED; ``StepFailed`` gives FAILURE with its message as the status;
a lost worker gives RETRY; an interrupted step (a stopped build) gives
CANCELLED; anything else (a bad renderable, a lock misuse, a refused command,
a bug in a custom step) gives EXCEPTION with the traceback in the step's
``err.text`` log. Whatever happens, the step's locks are released, its logs
finished and its row finished (retried while the database is unavailable).
"""

from __future__ import annotations

import traceback
from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from marid.process.remotecommand import WorkerLostError
from marid.process.renderables import call_and_await, is_renderable
from marid.process.results import CANCELLED, EXCEPTION, FAILURE, RETRY, SKIPPED, Results

if TYPE_CHECKING:
    from marid.process.build import Build
    from marid.process.buildstep import BuildStep

log = Logger()


async def _should_run(step: BuildStep) -> bool:
    condition: Any = step.doStepIf
    if isinstance(condition, bool):
        return condition
    if is_renderable(condition):
        return bool(await step.render(condition))
    if callable(condition):
        return bool(await call_and_await(condition, step))
    return bool(condition)


async def _is_hidden(step: BuildStep, result: Results) -> bool:
    hide: Any = step.hideStepIf
    if callable(hide):
        try:
            return bool(await call_and_await(hide, result, step))
        except Exception:
            log.failure("hideStepIf of step {name} failed", name=step.name)
            return False
    return bool(hide)


async def _render_all(step: BuildStep) -> None:
    for attribute in step.all_renderables():
        if attribute == "name":
            continue  # rendered before the step row was made
        value = getattr(step, attribute, None)
        if value is not None:
            setattr(step, attribute, await step.render(value))


def _status(step: BuildStep, result: Results, message: str | None) -> str:
    if message is None:
        summary = step.getResultSummary().get("step")
        if summary:
            return summary  # a step's own summary is shown as it is, as in Buildbot
        message = step.describe(done=True)
    if result not in (Results.SUCCESS, SKIPPED) and f"({result.text})" not in message:
        message = f"{message} ({result.text})"
    return message


async def run_step(build: Build, step: BuildStep) -> Results:
    """Run ``step`` in ``build`` and return its result (see the module docstring)."""
    data = build.master_data
    step.build = build
    name_error: str | None = None
    try:
        name = await step.render(step.name)
        if not isinstance(name, str) or not name:
            raise TypeError(f"the step name rendered to {name!r}, not a non-empty string")
    except Exception as error:
        name, name_error = type(step).__name__, f"cannot render the step name: {error}"
    step.stepid, step.number, step.name = await data.steps.add_step(build.buildid, name)
    result: Results = EXCEPTION
    message: str | None = None
    locked = False
    try:
        if name_error is not None:
            raise RuntimeError(name_error)
        if not await _should_run(step):
            result, message = SKIPPED, "skipped"
        else:
            if step.locks:
                await build.acquire_step_locks(step)
                locked = True
            await data.steps.start_step(step.stepid, locks_acquired=locked)
            await _render_all(step)
            build.current_step = step
            await build.set_step_state(step, step.describe())
            result = Results(await step.run())
            if step.interrupted and result != RETRY:
                result = CANCELLED
    except WorkerLostError as error:
        result, message = RETRY, f"worker lost: {error}"
    except Exception as error:
        from marid.process.buildstep import StepFailed

        if isinstance(error, StepFailed):
            result, message = FAILURE, str(error)
        elif step.interrupted:
            result = CANCELLED
        else:
            result, message = EXCEPTION, f"{type(error).__name__}: {error}"
            log.info("step {name} raised {error!r}", name=step.name, error=error)
            await _log_exception(build, step)
    finally:
        build.current_step = None
        if locked:
            build.release_step_locks(step)
    await build.logs.finish_step(step)
    try:
        await build.set_step_state(step, _status(step, result, message))
    except Exception:
        log.failure("could not set the status of step {name}", name=step.name)
    await build.owe("store the properties", build.flush_properties)
    hidden = await _is_hidden(step, result)
    await build.owe(
        f"finish step {step.stepid}",
        lambda: data.steps.finish_step(step.stepid, result, hidden=hidden),
    )
    return result


async def _log_exception(build: Build, step: BuildStep) -> None:
    try:
        await step.addCompleteLog("err.text", traceback.format_exc())
    except Exception:
        log.failure("could not store the exception of step {name}", name=step.name)
