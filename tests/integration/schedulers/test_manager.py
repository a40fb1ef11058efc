"""The scheduler manager: one master runs each scheduler, and reconfig restarts only changes."""

from __future__ import annotations

import pytest_twisted

from marid.plugins import schedulers
from marid.schedulers.base import CLAIM_RETRY_SECONDS, BaseScheduler
from tests.fixtures.data import RecordingData
from tests.integration.schedulers.conftest import environment


class Counting(schedulers.Triggerable):
    """A Triggerable that counts its activations, to see which master runs it."""

    runtime_attributes = frozenset({"activations"})

    async def activate(self) -> None:
        self.activations = getattr(self, "activations", 0) + 1


async def master_of(data: RecordingData, scheduler: BaseScheduler) -> int | None:
    result, _ = await data.get(f"schedulers/{scheduler.schedulerid}")
    master = result.items[0]["master"]
    return None if master is None else int(master["masterid"])


@pytest_twisted.ensureDeferred
async def test_two_masters_run_a_scheduler_once_and_the_other_takes_over(
    data: RecordingData,
) -> None:
    one = await environment(data, Counting("nightly", ["a"]), master="m1")
    two = await environment(data, Counting("nightly", ["a"]), master="m2", hook=False)
    first, second = one.manager.get("nightly"), two.manager.get("nightly")
    assert isinstance(first, Counting) and isinstance(second, Counting)

    assert (first.active, second.active) == (True, False)
    assert (getattr(first, "activations", 0), getattr(second, "activations", 0)) == (1, 0)
    assert await master_of(data, first) == one.masterid

    two.clock.advance(CLAIM_RETRY_SECONDS)
    assert second._claiming is not None
    await second._claiming
    assert not second.active, "the claim is still held by the first master"

    await one.manager.stop_all()
    assert await master_of(data, first) is None, "stopping released the claim"
    two.clock.advance(CLAIM_RETRY_SECONDS)
    await second._claiming
    assert second.active and second.activations == 1
    assert await master_of(data, second) == two.masterid


@pytest_twisted.ensureDeferred
async def test_reconfig_restarts_only_the_schedulers_that_changed(data: RecordingData) -> None:
    env = await environment(
        data,
        schedulers.ForceScheduler("force", ["a"]),
        Counting("same", ["a"]),
        Counting("changed", ["a"]),
        Counting("removed", ["a"]),
    )
    same, changed, removed = (env.manager.get(n) for n in ("same", "changed", "removed"))
    force = env.manager.get("force")

    await env.reconfig(
        schedulers.ForceScheduler("force", ["a"]),
        Counting("same", ["a"]),
        Counting("changed", ["a", "b"]),
        Counting("added", ["b"]),
    )

    assert env.manager.get("force") is force and env.manager.get("same") is same
    assert getattr(same, "activations", 0) == 1, "an unchanged scheduler was not restarted"
    new = env.manager.get("changed")
    assert new is not changed and new is not None and new.builderNames == ["a", "b"]
    assert changed is not None and changed.context is None and not changed.active
    assert env.manager.get("removed") is None
    assert removed is not None and await master_of(data, removed) is None
    added = env.manager.get("added")
    assert added is not None and added.active
    assert [s.name for s in env.manager.schedulers()] == ["added", "changed", "force", "same"]
