"""The Bot as a master sees it over PB: info, builder list, print, shutdown, command dispatch."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from twisted.spread import pb

from marid_worker import __version__
from marid_worker.info import parse_os_release
from tests.unit.worker.loopback import AttachedWorker

ALL_COMMANDS = {
    "shell",
    "uploadFile",
    "upload_file",
    "uploadDirectory",
    "upload_directory",
    "downloadFile",
    "download_file",
    "mkdir",
    "rmdir",
    "cpdir",
    "stat",
    "glob",
    "listdir",
    "rmfile",
}


def test_worker_info_has_the_info_files_os_environment_and_commands(worker: AttachedWorker) -> None:
    (worker.basedir / "info" / "access_uri").write_text("ssh://w1.example\n")
    (worker.basedir / "info" / "admin~").write_text("editor backup\n")
    info = worker.call_bot("getWorkerInfo")
    assert info["admin"] == "Ada <ada@example.invalid>\n"
    assert info["host"] == "a test host\n"
    assert info["access_uri"] == "ssh://w1.example\n"
    assert "admin~" not in info
    assert info["environ"] == dict(os.environ)
    assert info["system"] == os.name
    assert info["basedir"] == str(worker.basedir)
    assert info["numcpus"] == os.cpu_count()
    assert info["version"] == __version__
    assert info["worker_commands"] == dict.fromkeys(ALL_COMMANDS, "3.3")
    assert info["delete_leftover_dirs"] is False
    if Path("/etc/os-release").exists():
        assert "os_id" in info


def test_numcpus_and_delete_leftover_dirs_come_from_the_options(tmp_path: Path) -> None:
    worker = AttachedWorker(tmp_path, numcpus=7, delete_leftover_dirs=True)
    info = worker.call_bot("getWorkerInfo")
    assert info["numcpus"] == 7
    assert info["delete_leftover_dirs"] is True


def test_os_release_lines_become_os_keys() -> None:
    lines = [
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"',
        "ID=debian",
        "# comment",
        "",
        "VERSION_ID='12'",
    ]
    assert parse_os_release(lines) == {
        "os_pretty_name": "Debian GNU/Linux 12 (bookworm)",
        "os_id": "debian",
        "os_version_id": "12",
    }


def test_legacy_commands_and_version_calls(worker: AttachedWorker) -> None:
    assert worker.call_bot("getCommands") == dict.fromkeys(ALL_COMMANDS, "3.3")
    assert worker.call_bot("getVersion") == __version__


def test_print_takes_a_message_keyword(worker: AttachedWorker) -> None:
    assert worker.call_bot("print", message="ping") is None


def test_set_builder_list_creates_dirs_and_answers_a_dict_of_references(
    worker: AttachedWorker,
) -> None:
    builders = worker.call_bot("setBuilderList", [("b1", "b1dir"), ("b2", "nested/b2")])
    assert sorted(builders) == ["b1", "b2"]
    assert all(isinstance(ref, pb.RemoteReference) for ref in builders.values())
    assert (worker.basedir / "b1dir").is_dir()
    assert (worker.basedir / "nested" / "b2").is_dir()


def test_set_builder_list_keeps_listed_builders_and_drops_the_others(
    worker: AttachedWorker,
) -> None:
    worker.builders("b1", "b2")
    first = worker.bot.builders["b1"]
    answer = worker.builders("b1", "b3")
    assert sorted(answer) == ["b1", "b3"]
    assert worker.bot.builders["b1"] is first
    assert "b2" not in worker.bot.builders


def test_leftover_directories_are_kept_by_default(worker: AttachedWorker) -> None:
    (worker.basedir / "old-builder").mkdir()
    worker.builders("b1")
    assert (worker.basedir / "old-builder").is_dir()
    assert (worker.basedir / "info").is_dir()


def test_leftover_directories_are_deleted_when_asked_but_info_stays(tmp_path: Path) -> None:
    (tmp_path / "info").mkdir()
    (tmp_path / "old-builder" / "src").mkdir(parents=True)
    (tmp_path / "marid-worker.log").write_text("kept: not a directory\n")
    worker = AttachedWorker(tmp_path, delete_leftover_dirs=True)
    worker.builders("b1")
    assert not (tmp_path / "old-builder").exists()
    assert (tmp_path / "info").is_dir()
    assert (tmp_path / "b1").is_dir()
    assert (tmp_path / "marid-worker.log").exists()


@pytest.mark.parametrize("builddir", ["../escape", "/etc"])
def test_builder_dirs_outside_the_worker_are_refused(worker: AttachedWorker, builddir: str) -> None:
    with pytest.raises(pb.RemoteError, match="not inside the worker"):
        worker.call_bot("setBuilderList", [("b1", builddir)])


def test_unknown_command_is_a_remote_error_naming_it(worker: AttachedWorker) -> None:
    builder = worker.builders("b1")["b1"]
    with pytest.raises(
        pb.RemoteError, match=r"\(command 7\): unrecognized WorkerCommand 'frobnicate'"
    ):
        worker.call(builder, "startCommand", None, "7", "frobnicate", {})


def test_missing_arguments_are_a_remote_error(worker: AttachedWorker) -> None:
    builder = worker.builders("b1")["b1"]
    with pytest.raises(pb.RemoteError, match="shell is missing args: command"):
        worker.call(builder, "startCommand", None, "1", "shell", {"workdir": "build"})


def test_start_build_and_print_on_a_builder(worker: AttachedWorker) -> None:
    builder = worker.builders("b1")["b1"]
    assert worker.call(builder, "startBuild") is None
    assert worker.call(builder, "print", message="hello") is None


def test_interrupting_a_command_that_is_not_running_is_harmless(worker: AttachedWorker) -> None:
    builder = worker.builders("b1")["b1"]
    assert worker.call(builder, "interruptCommand", "99", "why not") is None


def test_shutdown_from_the_master_stops_the_worker_shortly_after(worker: AttachedWorker) -> None:
    worker.call_bot("shutdown")
    assert worker.shutdowns == 0
    worker.clock.advance(0.2)
    assert worker.shutdowns == 1
