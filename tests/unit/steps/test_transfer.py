"""Transfer steps against a worker the test plays: arguments, staging, failures."""

from __future__ import annotations

import io
import json
import os
import stat
import tarfile
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import defer

from marid.config.errors import ErrorCollector
from marid.plugins import steps, util
from marid.process.results import FAILURE, RETRY, SKIPPED, SUCCESS
from marid.process.steprunner import run_step
from marid.steps.paths import master_path
from tests.unit.steps.harness import ScriptedWorker, make_build, run, until

Answer = list[dict[str, Any]] | None


def uploader(content: bytes, *, fail_after_close: bool = False) -> ScriptedWorker:
    def answer(name: str, args: dict[str, Any]) -> Answer:
        writer = args["writer"]
        if fail_after_close:  # what buildbot-worker does when it cannot open the source
            writer.remote_close()
            return [{"rc": 1}, {"stderr": "Cannot open file 'x' for upload"}]
        writer.remote_write(content)
        writer.remote_close()
        return [{"rc": 0}]

    return ScriptedWorker(answer)


def tar_of(files: dict[str, bytes], *, evil: bool = False) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, data in files.items():
            info = tarfile.TarInfo("../escape" if evil else name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def test_master_paths_are_relative_to_the_basedir_unless_absolute() -> None:
    assert master_path("/srv/master", "out/a.txt") == "/srv/master/out/a.txt"
    assert master_path("/srv/master", "/abs/a.txt") == "/abs/a.txt"
    assert master_path("/srv/master", "out/../b") == "/srv/master/b"
    assert master_path("/srv/master", "~/x") == os.path.expanduser("~/x")


@pytest_twisted.ensureDeferred
async def test_file_upload_sends_buildbots_arguments_and_commits_on_success(
    tmp_path: Path,
) -> None:
    worker = uploader(b"payload")
    step = steps.FileUpload(
        workersrc="dist/a.bin", masterdest="out/a.bin", mode=0o600, keepstamp=True,
        url="http://x/a.bin", urlText="the artifact",
    )  # fmt: skip
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == SUCCESS
    ((name, args),) = worker.commands
    assert name == "uploadFile"
    assert {k: v for k, v in args.items() if k != "writer"} == {
        "workdir": "build", "workersrc": "dist/a.bin", "maxsize": None,
        "blocksize": 256 * 1024, "keepstamp": True, "logEnviron": False,
    }  # fmt: skip
    dest = tmp_path / "out" / "a.bin"
    assert dest.read_bytes() == b"payload"
    assert stat.S_IMODE(dest.stat().st_mode) == 0o600
    assert os.listdir(tmp_path / "out") == ["a.bin"]
    assert outcome.urls == [("the artifact", "http://x/a.bin")]


@pytest_twisted.ensureDeferred
async def test_a_worker_that_closes_after_failing_leaves_the_old_file(tmp_path: Path) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "a.bin").write_bytes(b"old")
    outcome = await run(
        steps.FileUpload(workersrc="x", masterdest="out/a.bin"),
        uploader(b"", fail_after_close=True),
        tmp_path,
    )
    assert outcome.result == FAILURE
    assert outcome.status == "uploading x failed: Cannot open file 'x' for upload (failure)"
    assert os.listdir(tmp_path / "out") == ["a.bin"]
    assert (tmp_path / "out" / "a.bin").read_bytes() == b"old"
    assert "Cannot open file 'x' for upload" in outcome.logs["stdio"]


@pytest_twisted.ensureDeferred
async def test_a_worker_lost_mid_upload_gives_retry_and_no_partial_file(tmp_path: Path) -> None:
    writers: list[Any] = []

    def answer(name: str, args: dict[str, Any]) -> Answer:
        args["writer"].remote_write(b"half")
        writers.append(args["writer"])
        return None  # the worker goes away before finishing

    worker = ScriptedWorker(answer)
    build, _ = make_build(worker, tmp_path)
    step = steps.FileUpload(workersrc="x", masterdest="out/a.bin").new_instance()
    running = defer.ensureDeferred(run_step(build, step))
    await until(lambda: bool(writers))
    for watcher in list(worker._watchers):
        watcher()
    assert await running == RETRY
    assert not (tmp_path / "out").exists()


@pytest_twisted.ensureDeferred
async def test_directory_upload_unpacks_and_refuses_an_escaping_archive(tmp_path: Path) -> None:
    def answer_with(data: bytes) -> ScriptedWorker:
        def answer(name: str, args: dict[str, Any]) -> Answer:
            assert name == "uploadDirectory" and args["compress"] == "gz"
            assert args["blocksize"] == 16 * 1024
            args["writer"].remote_write(data)
            args["writer"].remote_close()
            args["writer"].remote_unpack()  # a refusal is the step's to report
            return [{"rc": 0}]

        return ScriptedWorker(answer)

    step = steps.DirectoryUpload(workersrc="dist", masterdest="tree", compress="gz")
    outcome = await run(step, answer_with(tar_of({"a.txt": b"A", "sub/b.txt": b"B"})), tmp_path)
    assert outcome.result == SUCCESS
    assert (tmp_path / "tree" / "sub" / "b.txt").read_bytes() == b"B"

    outcome = await run(step, answer_with(tar_of({"a": b"x"}, evil=True)), tmp_path / "2")
    assert outcome.result == FAILURE
    assert "refusing '..' in upload" in outcome.status
    assert not (tmp_path / "escape").exists()


@pytest_twisted.ensureDeferred
async def test_multiple_file_upload_stats_each_source_and_uploads_by_kind(tmp_path: Path) -> None:
    def answer(name: str, args: dict[str, Any]) -> Answer:
        if name == "glob":
            assert args["path"] == "build/out/*"
            return [{"files": ["/w/b1/build/out/f.txt", "/w/b1/build/out/d"]}, {"rc": 0}]
        if name == "stat":
            mode = stat.S_IFDIR if args["file"].endswith("/d") else stat.S_IFREG
            return [{"stat": (mode | 0o755, 0, 0, 0, 0, 0, 0, 0, 0, 0)}, {"rc": 0}]
        if name == "uploadFile":
            args["writer"].remote_write(b"file")
        else:
            args["writer"].remote_write(tar_of({"inner.txt": b"in"}))
            args["writer"].remote_unpack()
        args["writer"].remote_close()
        return [{"rc": 0}]

    worker = ScriptedWorker(answer)
    step = steps.MultipleFileUpload(workersrcs=["out/*"], masterdest="up", glob=True)
    outcome = await run(step, worker, tmp_path)
    assert outcome.result == SUCCESS
    assert [n for n, _ in worker.commands] == [
        "glob", "stat", "uploadDirectory", "stat", "uploadFile",
    ]  # fmt: skip
    assert (tmp_path / "up" / "f.txt").read_bytes() == b"file"
    assert (tmp_path / "up" / "d" / "inner.txt").read_bytes() == b"in"

    none = ScriptedWorker(lambda name, args: [{"files": []}, {"rc": 0}])
    outcome = await run(step, none, tmp_path)
    assert outcome.result == SKIPPED
    assert "no file matches out/*" in outcome.logs["stdio"]


def downloader(received: dict[str, bytes]) -> ScriptedWorker:
    def answer(name: str, args: dict[str, Any]) -> Answer:
        reader, data = args["reader"], b""
        while chunk := reader.remote_read(args["blocksize"]):
            data += chunk
        reader.remote_close()
        received[args["workerdest"]] = data
        return [{"rc": 0}]

    return ScriptedWorker(answer)


@pytest_twisted.ensureDeferred
async def test_downloads_send_files_strings_json_and_properties(tmp_path: Path) -> None:
    (tmp_path / "files").mkdir()
    (tmp_path / "files" / "tool.sh").write_bytes(b"#!/bin/sh\n" * 5000)
    received: dict[str, bytes] = {}
    worker = downloader(received)
    stamps = {"": {"codebase": "", "branch": "main", "revision": "r1"}}
    for step in (
        steps.FileDownload(mastersrc="files/tool.sh", mode=0o755),
        steps.StringDownload(util.Interpolate("%(prop:greeting)s!"), workerdest="s.txt"),
        steps.JSONStringDownload({"k": util.Property("greeting")}, workerdest="o.json"),
        steps.JSONPropertiesDownload(workerdest="p.json"),
    ):
        outcome = await run(
            step, worker, tmp_path, properties={"greeting": "hi"}, sourcestamps=stamps
        )
        assert outcome.result == SUCCESS, outcome.status
    assert received["tool.sh"] == b"#!/bin/sh\n" * 5000
    assert worker.commands[0][1]["mode"] == 0o755
    assert worker.commands[0][1]["blocksize"] == 16 * 1024
    assert received["s.txt"] == b"hi!"
    assert json.loads(received["o.json"]) == {"k": "hi"}
    document = json.loads(received["p.json"])
    assert document["properties"]["greeting"] == "hi"
    assert document["sourcestamps"] == [{"codebase": "", "branch": "main", "revision": "r1"}]


@pytest_twisted.ensureDeferred
async def test_a_missing_master_file_fails_without_contacting_the_worker(tmp_path: Path) -> None:
    worker = downloader({})
    outcome = await run(steps.FileDownload(mastersrc="nope.txt"), worker, tmp_path)
    assert outcome.result == FAILURE
    assert outcome.status.startswith("cannot read nope.txt on the master")
    assert worker.commands == []


def test_config_errors_name_missing_and_bad_arguments() -> None:
    errors = ErrorCollector("master.cfg")
    steps.FileUpload(workersrc="a").check_config(errors)
    steps.DirectoryUpload(masterdest="d", compress="zip", max_members=-2).check_config(errors)
    steps.MultipleFileUpload(workersrcs=[], masterdest="d").check_config(errors)
    steps.FileDownload(mastersrc="m", maxsize=-1).check_config(errors)
    steps.StringDownload("text").check_config(errors)
    assert [e.message for e in errors.errors] == [
        "FileUpload 'upload': masterdest is required",
        "DirectoryUpload 'upload': compress must be None, 'gz' or 'bz2', not 'zip'",
        "DirectoryUpload 'upload': max_members must be a non-negative integer, not -2",
        "DirectoryUpload 'upload': workersrc is required",
        "MultipleFileUpload 'upload': workersrcs must be a non-empty list of worker paths",
        "FileDownload 'download': maxsize must be a non-negative integer, not -1",
        "StringDownload 'download': workerdest is required",
    ]


@pytest.mark.parametrize("mode", [0o644, None])
def test_steps_are_rebuilt_from_their_arguments(mode: int | None) -> None:
    step = steps.FileUpload("a", "b", mode=mode)
    fresh = step.new_instance()
    assert (fresh.workersrc, fresh.masterdest, fresh.mode) == ("a", "b", mode)
    assert fresh is not step
