"""Forcing builds on every database backend: the buildset, its stamps, properties and requests."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.plugins import schedulers, util
from marid.schedulers.errors import ForceValidationError, SchedulerDisabledError
from tests.fixtures.data import RecordingData
from tests.integration.schedulers.conftest import environment

FORM = "Force Build Form"


def force_scheduler() -> schedulers.ForceScheduler:
    return schedulers.ForceScheduler(
        "force",
        ["a", "b"],
        properties=[
            util.StringParameter("color"),
            util.NestedParameter("opts", [util.BooleanParameter("clean")]),
        ],
    )


@pytest_twisted.ensureDeferred
async def test_force_adds_a_buildset_with_stamps_properties_and_a_request_per_builder(
    data: RecordingData,
) -> None:
    env = await environment(data, force_scheduler())
    scheduler = env.manager.force_schedulers()[0]
    owner = "Ann <ann@example.com>"

    bsid, brids = await scheduler.force(
        None,
        username=owner,
        reason="try it",
        priority="3",
        branch="main",
        revision="abc123",
        color="red",
        opts_clean=True,
    )

    assert set(brids) == set(env.builderids.values())
    buildset = await env.buildset(bsid)
    assert buildset["reason"] == f"A build was forced by '{owner}': try it"
    (stamp,) = buildset["sourcestamps"]
    assert {k: stamp[k] for k in ("codebase", "branch", "revision", "repository", "project")} == {
        "codebase": "",
        "branch": "main",
        "revision": "abc123",
        "repository": "",
        "project": "",
    }
    assert await env.properties(bsid) == {
        "color": ["red", FORM],
        "opts": [{"clean": True}, FORM],
        "reason": ["try it", FORM],
        "owner": [owner, FORM],
        "scheduler": ["force", "Scheduler"],
    }
    requests = await env.requests(bsid)
    assert [(r["builderid"], r["buildrequestid"], r["priority"]) for r in requests] == sorted(
        (builderid, brid, 3) for builderid, brid in brids.items()
    )
    assert data.keys(f"buildsets/{bsid}") == [f"buildsets/{bsid}/new"]


@pytest_twisted.ensureDeferred
async def test_force_picks_builders_by_id_or_names_and_only_its_own(data: RecordingData) -> None:
    env = await environment(data, force_scheduler(), builders=("a", "b", "c"))
    scheduler = env.manager.force_schedulers()[0]
    ids = env.builderids

    _, brids = await scheduler.force("bob", builderid=str(ids["b"]))
    assert list(brids) == [ids["b"]]
    _, brids = await scheduler.force("bob", builderNames=["a", "c"])
    assert list(brids) == [ids["a"]]
    with pytest.raises(ForceValidationError) as raised:
        await scheduler.force("bob", builderid=ids["c"])
    assert raised.value.errors == {
        "builderid": "builder 'c' is not one of this scheduler's builders ['a', 'b']"
    }
    with pytest.raises(ForceValidationError, match=r"must be a builder id .* not 'x'"):
        await scheduler.force("bob", builderid="x")
    with pytest.raises(ForceValidationError, match="no builder with id '9999'"):
        await scheduler.force("bob", builderid="9999")


@pytest_twisted.ensureDeferred
async def test_each_codebase_gets_its_own_stamp_and_field_names(data: RecordingData) -> None:
    multi = schedulers.ForceScheduler(
        "multi", ["a"], codebases=["app", util.CodebaseParameter("lib", repository="git://lib")]
    )
    env = await environment(data, multi)

    bsid, _ = await env.manager.force_schedulers()[0].force(
        "bob", app_branch="dev", lib_revision="v1", lib_repository="ignored: fixed"
    )

    stamps = sorted((await env.buildset(bsid))["sourcestamps"], key=lambda s: s["codebase"])
    assert [(s["codebase"], s["branch"], s["revision"], s["repository"]) for s in stamps] == [
        ("app", "dev", "", ""),
        ("lib", "", "v1", "git://lib"),
    ]


@pytest_twisted.ensureDeferred
async def test_a_disabled_scheduler_adds_nothing_until_enabled(data: RecordingData) -> None:
    env = await environment(data, force_scheduler())
    scheduler = env.manager.force_schedulers()[0]
    assert scheduler.schedulerid is not None
    await data.schedulers.set_scheduler_enabled(scheduler.schedulerid, False)
    assert scheduler.enabled is False, "the updated event reached the scheduler"

    with pytest.raises(SchedulerDisabledError, match="scheduler 'force' is disabled"):
        await scheduler.force("bob")
    assert data.keys("buildsets/") == []

    await data.schedulers.set_scheduler_enabled(scheduler.schedulerid, True)
    bsid, _ = await scheduler.force("bob")
    assert data.keys("buildsets/") == [f"buildsets/{bsid}/new"]
