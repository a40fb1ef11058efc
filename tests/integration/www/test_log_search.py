"""``logs/N/search``: server-side search over a log's compressed chunks."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
import pytest_twisted

from marid.db import logsearch
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import master_with_builders, started_build
from tests.integration.www.conftest import Server

pytestmark = pytest.mark.db_backends("sqlite", "postgresql")

LINES = 20_000  # ~1.4 MB: several 256 KiB chunks


async def _log(data: RecordingData, log_type: str = "s") -> int:
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    stepid, _, _ = await data.steps.add_step(build.buildid, "test")
    logid = await data.logs.add_log(stepid, "stdio", log_type)
    lines = []
    for i in range(LINES):
        stream = "e" if i % 5000 == 4999 else "o"
        text = f"ERROR: case {i} broke" if stream == "e" else f"line {i} {'x' * 60} fine"
        lines.append(stream + text + "\n" if log_type == "s" else text + "\n")
    await data.logs.append_log(logid, "".join(lines))
    return logid


@pytest_twisted.ensureDeferred
async def test_search_finds_every_matching_line_across_chunks(
    data: RecordingData, server: Server
) -> None:
    logid = await _log(data)
    body = (await server.http.get(f"/api/v2/logs/{logid}/search?q=error")).json()
    assert body["matches"] == [
        {"line": i, "text": f"ERROR: case {i} broke"} for i in (4999, 9999, 14999, 19999)
    ]
    assert body["meta"] == {"more": False, "next": None}


@pytest_twisted.ensureDeferred
async def test_case_sensitivity_and_regular_expressions(
    data: RecordingData, server: Server
) -> None:
    logid = await _log(data)
    search = f"/api/v2/logs/{logid}/search"
    assert (await server.http.get(f"{search}?q=error&case=true")).json()["matches"] == []
    body = (await server.http.get(f"{search}?q={quote('^line 1234[0-9] ')}&regex=true")).json()
    assert [m["line"] for m in body["matches"]] == list(range(12340, 12350))
    assert body["matches"][0]["text"].startswith("line 12340 ")


@pytest_twisted.ensureDeferred
async def test_the_stream_character_is_not_searched(data: RecordingData, server: Server) -> None:
    logid = await _log(data)
    body = (await server.http.get(f"/api/v2/logs/{logid}/search?q=oline&case=true")).json()
    assert body["matches"] == []


@pytest_twisted.ensureDeferred
async def test_paging_with_limit_and_from(data: RecordingData, server: Server) -> None:
    logid = await _log(data)
    search = f"/api/v2/logs/{logid}/search?q=broke"
    first = (await server.http.get(f"{search}&limit=3")).json()
    assert [m["line"] for m in first["matches"]] == [4999, 9999, 14999]
    assert first["meta"] == {"more": True, "next": 15000}
    rest = (await server.http.get(f"{search}&from={first['meta']['next']}")).json()
    assert [m["line"] for m in rest["matches"]] == [19999]
    middle = (await server.http.get(f"{search}&from=5000&limit=1")).json()
    assert [m["line"] for m in middle["matches"]] == [9999]


@pytest_twisted.ensureDeferred
async def test_a_budget_bounds_the_text_scanned_per_request(data: RecordingData) -> None:
    logid = await _log(data)
    log = await data.db.logs.get_log(logid)
    assert log is not None
    result = await data.db.logsearch.search(
        logid, logsearch.SearchPattern.plain("nothing like this", False), prefixed=True, budget=1
    )
    assert result.matches == [] and result.next_line is not None and result.next_line > 0
    assert result.next_line < log.num_lines


@pytest_twisted.ensureDeferred
async def test_text_logs_and_bad_queries(data: RecordingData, server: Server) -> None:
    logid = await _log(data, "t")
    body = (await server.http.get(f"/api/v2/logs/{logid}/search?q=case%209999%20broke")).json()
    assert body["matches"] == [{"line": 9999, "text": "ERROR: case 9999 broke"}]
    response = await server.http.get(f"/api/v2/logs/{logid}/search")
    assert response.status == 400 and "'q'" in response.json()["error"]
    response = await server.http.get(f"/api/v2/logs/{logid}/search?q=(&regex=true")
    assert response.status == 400 and "regular expression" in response.json()["error"]
    response = await server.http.get(f"/api/v2/logs/{logid}/search?q=x&case=maybe")
    assert response.status == 400
    response = await server.http.get("/api/v2/logs/99999/search?q=x")
    assert response.status == 404


def test_search_text_counts_lines_and_stops_at_the_wanted_number() -> None:
    text = "oa\nob hit\noc\nod HIT\noe hit\n"
    for pattern in (
        logsearch.SearchPattern.plain("hit", case=False),
        logsearch.SearchPattern(re.compile("h.t", re.IGNORECASE)),
    ):
        found, resume = logsearch.search_text(text, 10, pattern, True, 2)
        assert found == [(11, "b hit"), (13, "d HIT")]
        assert resume == 14
        found, resume = logsearch.search_text(text, 10, pattern, True, 10)
        assert [line for line, _ in found] == [11, 13, 14] and resume is None


def test_plain_text_search_outside_ascii_keeps_line_numbers() -> None:
    # "İ" lower-cases to two characters: such text is searched with the expression instead.
    text = "oİİİ first\no needle here\noNEEDLE again\n"
    found, _ = logsearch.search_text(
        text, 0, logsearch.SearchPattern.plain("needle", case=False), True, 10
    )
    assert found == [(1, " needle here"), (2, "NEEDLE again")]
    found, _ = logsearch.search_text(
        text, 0, logsearch.SearchPattern.plain("NEEDLE", case=True), True, 10
    )
    assert found == [(2, "NEEDLE again")]


@pytest_twisted.ensureDeferred
async def test_streams_keep_only_lines_of_those_streams(
    data: RecordingData, server: Server
) -> None:
    logid = await _log(data)
    search = f"/api/v2/logs/{logid}/search"
    errors = (await server.http.get(f"{search}?q=case&streams=e")).json()["matches"]
    assert [m["line"] for m in errors] == [4999, 9999, 14999, 19999]
    assert (await server.http.get(f"{search}?q=case&streams=o")).json()["matches"] == []
    anchored = f"{search}?q={quote('^ERROR: case 14')}&regex=true&streams=oh"
    assert (await server.http.get(anchored)).json()["matches"] == []
    anchored = f"{search}?q={quote('^ERROR: case 14')}&regex=true&streams=e"
    assert [m["line"] for m in (await server.http.get(anchored)).json()["matches"]] == [14999]
    response = await server.http.get(f"{search}?q=case&streams=x")
    assert response.status == 400 and "'streams'" in response.json()["error"]
