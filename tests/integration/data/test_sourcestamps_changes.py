"""Source stamps and changes through the data API: dedup, parents, nesting, events, endpoints."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.data.errors import NotFoundError
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import (
    CHANGE_KEYS,
    SOURCESTAMP_KEYS,
    master_with_builders,
    started_build,
)


@pytest_twisted.ensureDeferred
async def test_same_source_gives_the_same_stamp_but_a_patch_always_a_new_one(
    data: RecordingData,
) -> None:
    fields = {"branch": "main", "revision": "abc", "repository": "git://r", "project": "p"}
    ssid = await data.sourcestamps.find_sourcestamp_id(**fields)
    assert await data.sourcestamps.find_sourcestamp_id(**fields) == ssid
    assert await data.sourcestamps.find_sourcestamp_id(**{**fields, "codebase": "cb"}) != ssid
    no_branch = await data.sourcestamps.find_sourcestamp_id(revision="abc")
    assert await data.sourcestamps.find_sourcestamp_id(branch="", revision="abc") != no_branch
    patched = await data.sourcestamps.find_sourcestamp_id(
        **fields, patch_body=b"--- a\n+++ b\n", patch_level=1, patch_author="me", patch_subdir="."
    )
    again = await data.sourcestamps.find_sourcestamp_id(**fields, patch_body=b"--- a\n+++ b\n")
    assert len({ssid, patched, again}) == 3

    result, _ = await data.get(f"sourcestamps/{patched}")
    (stamp,) = result.items
    assert set(stamp) == SOURCESTAMP_KEYS
    assert stamp["created_at"] == int(data.clock.now)
    assert stamp["patch"] == {
        "patchid": stamp["patch"]["patchid"],
        "level": 1,
        "subdir": ".",
        "author": "me",
        "comment": None,
        "body": "--- a\n+++ b\n",
    }
    assert await data.db.sourcestamps.get_patch_body(patched) == b"--- a\n+++ b\n"
    result, _ = await data.get(f"sourcestamps/{ssid}")
    assert result.items[0]["patch"] is None
    result, _ = await data.get("sourcestamps", {"codebase": ["cb"]})
    assert [s["codebase"] for s in result.items] == ["cb"]
    with pytest.raises(NotFoundError):
        await data.get("sourcestamps/999")


@pytest_twisted.ensureDeferred
async def test_a_change_is_stored_with_its_stamp_parent_and_properties_and_published(
    data: RecordingData,
) -> None:
    first = await data.changes.add_change(
        author="alice <a@example.org>",
        files=["b.c", "a.c"],
        comments="first",
        revision="r1",
        branch="main",
        repository="git://repo",
        project="proj",
        properties={"ticket": 12},
    )
    data.clock.advance(10)
    other_branch = await data.changes.add_change(
        author="bob", revision="x1", branch="dev", repository="git://repo", project="proj"
    )
    second = await data.changes.add_change(
        author="alice",
        committer="carol",
        comments="second",
        revision="r2",
        branch="main",
        repository="git://repo",
        project="proj",
        when_timestamp=1234,
        category="fix",
        revlink="http://example.org/r2",
    )
    assert data.keys("changes/") == [
        f"changes/{first}/new",
        f"changes/{other_branch}/new",
        f"changes/{second}/new",
    ]
    published = data.events[-1][1]
    assert published["changeid"] == second and published["parent_changeids"] == [first]

    result, _ = await data.get(f"changes/{second}")
    (change,) = result.items
    assert set(change) == CHANGE_KEYS
    assert change["parent_changeids"] == [first]
    assert change["when_timestamp"] == 1234
    assert change["committer"] == "carol" and change["category"] == "fix"
    assert set(change["sourcestamp"]) == SOURCESTAMP_KEYS
    assert change["sourcestamp"]["revision"] == "r2"
    assert change["sourcestamp"]["branch"] == "main"

    result, _ = await data.get(f"changes/{first}")
    (change,) = result.items
    assert change["parent_changeids"] == []
    assert change["files"] == ["a.c", "b.c"]
    assert change["properties"] == {"ticket": [12, "Change"]}
    assert change["when_timestamp"] == int(data.clock.now) - 10

    result, _ = await data.get("changes", {"branch": ["main"], "order": ["-changeid"]})
    assert [c["changeid"] for c in result.items] == [second, first]
    result, _ = await data.get("changes", {"author__contains": ["alice"], "limit": ["1"]})
    assert [c["changeid"] for c in result.items] == [first] and result.total == 2
    ssid = change["sourcestamp"]["ssid"]
    result, _ = await data.get(f"sourcestamps/{ssid}/changes")
    assert [c["changeid"] for c in result.items] == [first]
    with pytest.raises(NotFoundError):
        await data.get("changes/999")


@pytest_twisted.ensureDeferred
async def test_build_changes_are_those_of_its_buildset_stamps(data: RecordingData) -> None:
    setup = await master_with_builders(data)
    changeid = await data.changes.add_change(author="a", revision="", branch="")
    build = await started_build(data, setup)
    result, _ = await data.get(f"builds/{build.buildid}/changes")
    assert [c["changeid"] for c in result.items] == [changeid]
    result, _ = await data.get(f"buildsets/{build.bsid}/sourcestamps")
    (stamp,) = result.items
    assert set(stamp) == SOURCESTAMP_KEYS and stamp["branch"] == ""
