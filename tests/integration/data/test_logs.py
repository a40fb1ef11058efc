"""Logs: slugs, appends split into compressed chunks, reads by line range, raw streaming."""

from __future__ import annotations

import zlib

import pytest
import pytest_twisted

from marid.data import logchunks
from marid.data.errors import NotFoundError
from marid.db import logcompression, logs
from tests.fixtures.data import RecordingData
from tests.integration.data.scenario import (
    LOG_KEYS,
    LOGCHUNK_KEYS,
    SqlLog,
    master_with_builders,
    started_build,
)


async def _step(data: RecordingData) -> tuple[int, int]:
    setup = await master_with_builders(data)
    build = await started_build(data, setup)
    stepid, _, _ = await data.steps.add_step(build.buildid, "shell")
    return build.buildid, stepid


async def _read_raw(data: RecordingData, path: str) -> tuple[str, str, list[bytes]]:
    """The mime type, the file name ("" when served inline) and the streamed pieces."""
    result, _ = await data.get(path)
    assert result.raw is not None
    pieces = [piece async for piece in result.raw.chunks()]
    filename = "" if result.raw.inline else result.raw.filename
    return result.raw.mime_type, filename, pieces


def test_small_chunks_stay_raw_and_large_ones_are_compressed() -> None:
    assert logcompression.compress(b"tiny\n") == (b"tiny\n", logcompression.RAW)
    text = b"the same line again\n" * 1000
    packed, codec = logcompression.compress(text)
    assert codec == logcompression.ZSTD and len(packed) < len(text)
    assert logcompression.decompress(packed, codec) == text
    packed, codec = logcompression.compress(text, logcompression.ZLIB)
    assert codec == logcompression.ZLIB and zlib.decompress(packed) == text
    with pytest.raises(logcompression.LogCompressionError):
        logcompression.decompress(b"", 9)


@pytest_twisted.ensureDeferred
async def test_logs_get_unique_slugs_and_publish_their_lifecycle(data: RecordingData) -> None:
    buildid, stepid = await _step(data)
    stdio = await data.logs.add_log(stepid, "stdio", "s")
    other = await data.logs.add_log(stepid, "test results (xml)", "t")
    again = await data.logs.add_log(stepid, "stdio", "t")
    assert await data.logs.append_log(stdio, "ohello\nhexit 0\n") == (0, 1)
    assert await data.logs.append_log(stdio, "oworld") == (2, 2)
    await data.logs.finish_log(stdio)
    assert data.keys(f"logs/{stdio}/") == [
        f"logs/{stdio}/{e}" for e in ("new", "append", "append", "finished")
    ]
    assert data.events[-2][1] == {"logid": stdio, "first_line": 2, "last_line": 2, "num_lines": 3}

    result, _ = await data.get(f"steps/{stepid}/logs")
    assert [(log["slug"], log["name"]) for log in result.items] == [
        ("stdio", "stdio"),
        ("test_results__xml_", "test results (xml)"),
        ("stdio_1", "stdio"),
    ]
    assert all(set(log) == LOG_KEYS for log in result.items)
    result, _ = await data.get(f"logs/{stdio}")
    assert result.items == [
        {
            "logid": stdio,
            "name": "stdio",
            "slug": "stdio",
            "stepid": stepid,
            "complete": True,
            "num_lines": 3,
            "type": "s",
        }
    ]
    for path in (
        f"steps/{stepid}/logs/stdio",
        f"builds/{buildid}/steps/0/logs/stdio",
        f"builds/{buildid}/steps/shell/logs/stdio",
        "builders/hello/builds/1/steps/shell/logs/stdio",
    ):
        result, _ = await data.get(path)
        assert result.items[0]["logid"] == stdio, path
    result, _ = await data.get(f"steps/{stepid}/logs", {"type": ["t"], "complete": ["false"]})
    assert [log["logid"] for log in result.items] == [other, again]
    with pytest.raises(ValueError):
        await data.logs.add_log(stepid, "bad", "x")
    for missing in (f"steps/{stepid}/logs/nosuch", "logs/999", "logs/999/contents", "logs/999/raw"):
        with pytest.raises(NotFoundError):
            await data.get(missing)


@pytest_twisted.ensureDeferred
async def test_contents_are_read_by_line_range_across_chunk_boundaries(
    data: RecordingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "CHUNK_SIZE", 40)
    monkeypatch.setattr(logs, "MERGE_BELOW", 1)
    _, stepid = await _step(data)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    lines = [f"oline {i:03d}\n" for i in range(30)]  # 10 bytes each: 4 lines per chunk
    assert await data.logs.append_log(logid, "".join(lines[:10])) == (0, 9)
    assert await data.logs.append_log(logid, "".join(lines[10:])) == (10, 29)
    assert [r[:2] for r in await _chunk_rows(data)][:4] == [(0, 3), (4, 7), (8, 9), (10, 13)]

    sql = SqlLog(data.db.engine)
    with sql.recording():
        result, _ = await data.get(f"logs/{logid}/contents", {"offset": ["7"], "limit": ["5"]})
    assert result.items == [{"logid": logid, "firstline": 7, "content": "".join(lines[7:12])}]
    assert set(result.items[0]) == LOGCHUNK_KEYS
    result, _ = await data.get(f"steps/{stepid}/logs/stdio/contents", {"offset": ["28"]})
    assert result.items[0]["content"] == "".join(lines[28:])
    result, _ = await data.get(f"logs/{logid}/contents")
    assert result.items[0]["content"] == "".join(lines) and result.items[0]["firstline"] == 0
    result, _ = await data.get(f"logs/{logid}/contents", {"offset": ["100"], "limit": ["5"]})
    assert result.items[0]["content"] == ""


@pytest_twisted.ensureDeferred
async def test_a_line_longer_than_a_chunk_is_cut_to_fit(
    data: RecordingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "CHUNK_SIZE", 40)
    _, stepid = await _step(data)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    assert await data.logs.append_log(logid, "oshort\no" + "é" * 50 + "\noend\n") == (0, 2)
    result, _ = await data.get(f"logs/{logid}/contents")
    short, long, end = result.items[0]["content"].splitlines()
    assert (short, end) == ("oshort", "oend")
    assert long == "o" + "é" * 19, "cut at a character boundary within 40 bytes"


@pytest_twisted.ensureDeferred
async def test_only_overlapping_chunks_are_read(
    data: RecordingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "CHUNK_SIZE", 40)
    monkeypatch.setattr(logs, "MERGE_BELOW", 1)
    _, stepid = await _step(data)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    await data.logs.append_log(logid, "".join(f"oline {i:03d}\n" for i in range(40)))
    read: list[int] = []
    real = logcompression.decompress

    def counting(stored: bytes, codec: int) -> bytes:
        read.append(codec)
        return real(stored, codec)

    monkeypatch.setattr(logcompression, "decompress", counting)
    await data.get(f"logs/{logid}/contents", {"offset": ["12"], "limit": ["3"]})
    assert len(read) == 1, "lines 12-14 live in chunk 12-15"
    await data.get(f"logs/{logid}/contents", {"offset": ["10"], "limit": ["3"]})
    assert len(read) == 3, "lines 10-12 span chunks 8-11 and 12-15"


async def _chunk_rows(data: RecordingData) -> list[tuple[int, int, int, int]]:
    sql = "SELECT first_line, last_line, compressed, length(content) FROM logchunks"
    rows = await data.db.pool.run(lambda conn: conn.exec_driver_sql(sql).all())
    return sorted(tuple(r) for r in rows)


@pytest_twisted.ensureDeferred
async def test_small_appends_are_merged_and_large_content_is_compressed(
    data: RecordingData,
) -> None:
    _, stepid = await _step(data)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    for i in range(50):
        await data.logs.append_log(logid, f"oline {i:02d}\n")
    assert [r[:2] for r in await _chunk_rows(data)] == [(0, 49)], "50 appends, one chunk"

    big = "".join(f"o{i:08d} some repetitive build output\n" for i in range(12_000))
    assert await data.logs.append_log(logid, big) == (50, 12_049)
    rows = await _chunk_rows(data)
    assert len(rows) == 2, "~480 KiB of lines in chunks of at most 256 KiB"
    assert rows[0][0] == 0 and rows[1][0] == rows[0][1] + 1 and rows[1][1] == 12_049
    assert {r[2] for r in rows} == {logcompression.preferred_codec()}
    assert all(r[3] < logs.CHUNK_SIZE // 4 for r in rows), "repetitive text compresses"
    result, _ = await data.get(f"logs/{logid}")
    assert result.items[0]["num_lines"] == 12_050
    result, _ = await data.get(f"logs/{logid}/contents", {"offset": ["49"], "limit": ["2"]})
    assert result.items[0]["content"] == "oline 49\no00000000 some repetitive build output\n"
    result, _ = await data.get(f"logs/{logid}/contents", {"offset": ["12049"], "limit": ["1"]})
    assert result.items[0]["content"] == "o00011999 some repetitive build output\n"


@pytest_twisted.ensureDeferred
async def test_raw_download_streams_a_multi_chunk_stdio_log_without_prefixes(
    data: RecordingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logs, "CHUNK_SIZE", 64)
    monkeypatch.setattr(logs, "MERGE_BELOW", 1)
    monkeypatch.setattr(logchunks, "RAW_BATCH", 2)
    buildid, stepid = await _step(data)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    body = ["hecho hello\n"] + [f"oout {i}\n" if i % 3 else f"eerr {i}\n" for i in range(40)]
    await data.logs.append_log(logid, "".join(body))
    sql = SqlLog(data.db.engine)
    with sql.recording() as statements:
        mime, filename, pieces = await _read_raw(data, f"logs/{logid}/raw")
    assert mime.startswith("text/plain")
    assert filename == "hello_build_1_step_shell_stdio.log"
    assert b"".join(pieces).decode() == (
        "Builder: hello\nBuild number: 1\nWorker name: w1\n" + "".join(line[1:] for line in body)
    )
    chunk_reads = [s for s in statements if "FROM logchunks" in s]
    assert len(chunk_reads) > 3, "read a few chunks per query"
    assert len(pieces) > 3

    mime, filename, pieces = await _read_raw(
        data, f"builds/{buildid}/steps/shell/logs/stdio/raw_inline"
    )
    assert filename == "", "served inline"
    assert b"".join(pieces).startswith(b"Builder: hello\n")

    text = await data.logs.add_log(stepid, "notes", "t")
    await data.logs.append_log(text, "plain\ntext\n")
    _, _, pieces = await _read_raw(data, f"steps/{stepid}/logs/notes/raw")
    assert b"".join(pieces).endswith(b"\nplain\ntext\n")


@pytest_twisted.ensureDeferred
async def test_contents_return_at_most_one_page_of_lines(
    data: RecordingData, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(logchunks, "MAX_CONTENT_LINES", 10)
    _, stepid = await _step(data)
    logid = await data.logs.add_log(stepid, "stdio", "s")
    lines = [f"oline {i:03d}\n" for i in range(30)]
    await data.logs.append_log(logid, "".join(lines))
    result, _ = await data.get(f"logs/{logid}/contents")
    assert result.items[0]["content"] == "".join(lines[:10])
    result, _ = await data.get(f"logs/{logid}/contents", {"offset": ["15"], "limit": ["1000"]})
    assert result.items[0]["content"] == "".join(lines[15:25])
