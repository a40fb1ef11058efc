"""A new buildset's stamps: the caller's, completed with each codebase's configured defaults."""

from __future__ import annotations

import pytest
import pytest_twisted

from marid.schedulers.errors import SchedulerError
from marid.schedulers.stamps import complete_stamps, normalise_codebases


async def codebase_of(ssid: int) -> str:
    return {7: "lib"}[ssid]


def test_codebases_normalise_from_none_names_or_dicts() -> None:
    assert normalise_codebases(None) == {"": {}}
    assert normalise_codebases(["a", "b"]) == {"a": {}, "b": {}}
    assert normalise_codebases({"a": {"branch": "main"}}) == {"a": {"branch": "main"}}


@pytest_twisted.ensureDeferred
async def test_given_fields_lay_over_the_codebase_defaults() -> None:
    defaults = {"app": {"repository": "git://app", "branch": "main"}, "lib": {}}
    stamps = await complete_stamps(
        [{"codebase": "app", "revision": "abc", "created_at": 5}], defaults, codebase_of
    )
    assert stamps == [
        {
            "codebase": "app",
            "repository": "git://app",
            "branch": "main",
            "revision": "abc",
            "project": "",
        },
        {"codebase": "lib", "repository": "", "branch": None, "revision": None, "project": ""},
    ]


@pytest_twisted.ensureDeferred
async def test_existing_stamps_are_kept_by_id_and_cover_their_codebase() -> None:
    stamps = await complete_stamps([7, {"codebase": "x"}], {"lib": {}}, codebase_of)
    assert stamps[0] == 7
    assert [s["codebase"] for s in stamps[1:]] == ["x"]
    dropped = await complete_stamps([{"codebase": "x"}], {"": {}}, codebase_of, keep_unknown=False)
    assert [s["codebase"] for s in dropped] == [""]


@pytest_twisted.ensureDeferred
async def test_two_stamps_for_one_codebase_are_refused() -> None:
    with pytest.raises(SchedulerError, match="two source stamps for codebase 'lib'"):
        await complete_stamps([7, {"codebase": "lib"}], {}, codebase_of)
