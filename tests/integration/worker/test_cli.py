"""The ``marid-worker`` command: create-worker, one-line errors, start/stop/restart, shutdowns."""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_twisted
from twisted.internet import utils
from twisted.internet.endpoints import TCP4ServerEndpoint

from tests.integration.worker.conftest import eventually, is_alive
from tests.unit.worker.loopback import CommandRef, FakeMaster

pytestmark = pytest.mark.integration

COMMAND = [sys.executable, "-m", "marid_worker.scripts.runner"]


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args], capture_output=True, text=True, timeout=60, check=False
    )


async def cli_async(*args: str) -> tuple[str, str, int]:
    """Run the command without blocking the reactor (the test's master must keep answering)."""
    from twisted.internet import reactor

    out, err, code = await utils.getProcessOutputAndValue(
        COMMAND[0], [*COMMAND[1:], *args], env=dict(os.environ), reactor=reactor
    )
    return out.decode(), err.decode(), code


def test_create_worker_writes_a_private_config_and_the_info_files(tmp_path: Path) -> None:
    basedir = tmp_path / "w"
    result = cli(
        "create-worker",
        "--keepalive",
        "30",
        "--umask",
        "022",
        "--maxretries",
        "4",
        "--maxdelay",
        "60",
        "--allow-shutdown",
        "file",
        "--delete-leftover-dirs",
        "--log-size",
        "5000",
        "--log-count",
        "3",
        "--numcpus",
        "2",
        "--max-references",
        "5000",
        str(basedir),
        "ci.example:9000",
        "w1",
        "s3cret",
    )
    assert result.returncode == 0, result.stderr
    config_file = basedir / "marid-worker.json"
    assert stat.S_IMODE(config_file.stat().st_mode) == 0o600
    config = json.loads(config_file.read_text())
    assert config == {
        "master_host": "ci.example",
        "master_port": 9000,
        "name": "w1",
        "password": "s3cret",
        "connection_string": None,
        "use_tls": False,
        "keepalive": 30,
        "umask": 0o22,
        "maxdelay": 60,
        "maxretries": 4,
        "allow_shutdown": "file",
        "delete_leftover_dirs": True,
        "log_size": 5000,
        "log_count": 3,
        "numcpus": 2,
        "max_references": 5000,
    }
    assert (basedir / "info" / "admin").read_text().strip()
    assert (basedir / "info" / "host").read_text().strip()
    assert "s3cret" not in result.stdout


def test_create_worker_defaults_and_connection_string(tmp_path: Path) -> None:
    result = cli(
        "create-worker",
        "-q",
        "--use-tls",
        "--connection-string",
        "tcp:host=127.0.0.1:port=9989",
        str(tmp_path / "w"),
        "ignored-host",
        "w1",
        "pw",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    config = json.loads((tmp_path / "w" / "marid-worker.json").read_text())
    assert config["keepalive"] == 600 and config["maxdelay"] == 300
    assert config["maxretries"] is None and config["allow_shutdown"] is None
    assert config["connection_string"] == "tcp:host=127.0.0.1:port=9989"
    assert config["use_tls"] is True


def test_an_existing_worker_is_only_reused_with_force_and_info_is_kept(tmp_path: Path) -> None:
    basedir = tmp_path / "w"
    assert cli("create-worker", "-q", str(basedir), "m", "w1", "pw").returncode == 0
    (basedir / "info" / "admin").write_text("Grace <grace@example.invalid>\n")
    again = cli("create-worker", str(basedir), "m", "w2", "pw")
    assert again.returncode == 1
    assert "use --force" in again.stderr
    forced = cli("create-worker", "-q", "--force", str(basedir), "m:1234", "w2", "pw")
    assert forced.returncode == 0
    assert json.loads((basedir / "marid-worker.json").read_text())["name"] == "w2"
    assert (basedir / "info" / "admin").read_text() == "Grace <grace@example.invalid>\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create-worker", "BASE", "host:99999", "w", "p"], "between 1 and 65535"),
        (["create-worker", "BASE", "host:http", "w", "p"], "between 1 and 65535"),
        (["create-worker", "--umask", "999", "BASE", "h", "w", "p"], "octal"),
        (
            ["create-worker", "--keepalive", "-5", "BASE", "h", "w", "p"],
            "keepalive must be at least 0",
        ),
        (["create-worker", "--keepalive", "soon", "BASE", "h", "w", "p"], "invalid int value"),
        (
            ["create-worker", "--maxdelay", "0", "BASE", "h", "w", "p"],
            "maxdelay must be at least 1",
        ),
        (["create-worker", "--allow-shutdown", "never", "BASE", "h", "w", "p"], "invalid choice"),
        (
            ["create-worker", "--connection-string", "bogus:x", "BASE", "h", "w", "p"],
            "bad --connection-string",
        ),
        (["create-worker", "BASE", "h", "w"], "required"),
        (["create-worker", "--frobnicate", "BASE", "h", "w", "p"], "unrecognized arguments"),
        (["start", "BASE"], "is not a worker directory"),
        (["stop", "BASE"], "is not a worker directory"),
        (["explode"], "invalid choice"),
        ([], "required"),
    ],
)
def test_bad_arguments_give_one_line_and_exit_1(
    tmp_path: Path, args: list[str], message: str
) -> None:
    result = cli(*[str(tmp_path / "w") if arg == "BASE" else arg for arg in args])
    assert result.returncode == 1
    assert message in result.stderr
    assert result.stderr.count("\n") == 1, result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("command", [[], ["create-worker"], ["start"], ["stop"], ["restart"]])
def test_help_is_available_everywhere(command: list[str]) -> None:
    result = cli(*command, "--help")
    assert result.returncode == 0
    assert "usage: marid-worker" in result.stdout


def test_every_create_worker_option_is_documented_in_its_help() -> None:
    text = cli("create-worker", "--help").stdout
    for option in (
        "--keepalive",
        "--umask",
        "--maxretries",
        "--use-tls",
        "--connection-string",
        "--allow-shutdown",
        "--delete-leftover-dirs",
        "--log-size",
        "--log-count",
        "--maxdelay",
        "--force",
    ):
        assert option in text


class Daemon:
    def __init__(self, basedir: Path, master: FakeMaster, port: int):
        self.basedir = basedir
        self.master = master
        self.port = port

    def create(self, *options: str) -> None:
        result = cli(
            "create-worker",
            "-q",
            *options,
            str(self.basedir),
            f"127.0.0.1:{self.port}",
            "w1",
            "pass",
        )
        assert result.returncode == 0, result.stderr

    @property
    def pid(self) -> int:
        return int((self.basedir / "marid-worker.pid").read_text())

    def log(self) -> str:
        return (self.basedir / "marid-worker.log").read_text()


@pytest_twisted.async_yield_fixture
async def daemon(tmp_path: Path) -> AsyncIterator[Daemon]:
    from twisted.internet import reactor

    master = FakeMaster(reactor)  # type: ignore[arg-type]
    port: Any = await TCP4ServerEndpoint(reactor, 0, interface="127.0.0.1").listen(master.factory())
    running = Daemon(tmp_path / "worker", master, port.getHost().port)
    yield running
    pidfile = running.basedir / "marid-worker.pid"
    if pidfile.exists():
        pid = int(pidfile.read_text())
        if is_alive(pid):
            os.kill(pid, signal.SIGKILL)
    await port.stopListening()


@pytest_twisted.ensureDeferred
async def test_start_connects_in_the_background_and_stop_ends_it(daemon: Daemon) -> None:
    daemon.create("--log-size", "400", "--log-count", "2")
    out, err, code = await cli_async("start", str(daemon.basedir))
    assert code == 0, err
    assert out.startswith("worker started (pid ")
    pid = daemon.pid
    assert is_alive(pid)
    await eventually(lambda: daemon.master.minds)

    out, err, code = await cli_async("start", str(daemon.basedir))
    assert code == 1
    assert f"already running in {daemon.basedir} (pid {pid})" in err

    out, err, code = await cli_async("stop", str(daemon.basedir))
    assert code == 0, err
    assert out == "worker stopped\n"
    assert not is_alive(pid)
    assert not (daemon.basedir / "marid-worker.pid").exists()
    await eventually(lambda: daemon.master.logouts == 1)
    assert (daemon.basedir / "marid-worker.log.1").exists()  # rotated at 400 bytes
    assert not (daemon.basedir / "marid-worker.log.3").exists()

    out, err, code = await cli_async("stop", str(daemon.basedir))
    assert code == 1
    assert "no worker is running" in err


@pytest_twisted.ensureDeferred
async def test_restart_replaces_the_running_worker(daemon: Daemon) -> None:
    daemon.create()
    assert (await cli_async("start", str(daemon.basedir)))[2] == 0
    first = daemon.pid
    await eventually(lambda: daemon.master.minds)
    _out, err, code = await cli_async("restart", str(daemon.basedir))
    assert code == 0, err
    assert daemon.pid != first and not is_alive(first)
    await eventually(lambda: len(daemon.master.minds) == 2)
    assert (await cli_async("stop", str(daemon.basedir)))[2] == 0


@pytest_twisted.ensureDeferred
async def test_sighup_asks_the_master_for_a_graceful_shutdown(daemon: Daemon) -> None:
    daemon.create("--allow-shutdown", "signal")
    assert (await cli_async("start", str(daemon.basedir)))[2] == 0
    pid = daemon.pid
    await eventually(lambda: daemon.master.minds)
    os.kill(pid, signal.SIGHUP)
    await eventually(lambda: daemon.master.shutdown_requests == 1)
    assert is_alive(pid)  # the master decides when
    await daemon.master.bot.callRemote("shutdown")
    await eventually(lambda: not is_alive(pid))
    assert not (daemon.basedir / "marid-worker.pid").exists()


@pytest_twisted.ensureDeferred
async def test_sighup_is_ignored_without_allow_shutdown(daemon: Daemon) -> None:
    daemon.create()
    assert (await cli_async("start", str(daemon.basedir)))[2] == 0
    await eventually(lambda: daemon.master.minds)
    os.kill(daemon.pid, signal.SIGHUP)
    await eventually(lambda: "SIGHUP ignored" in daemon.log())
    assert is_alive(daemon.pid)
    assert daemon.master.shutdown_requests == 0
    assert (await cli_async("stop", str(daemon.basedir)))[2] == 0


@pytest_twisted.ensureDeferred
async def test_touching_the_shutdown_stamp_asks_for_a_graceful_shutdown(daemon: Daemon) -> None:
    daemon.create("--allow-shutdown", "file")
    assert (await cli_async("start", str(daemon.basedir)))[2] == 0
    await eventually(lambda: daemon.master.minds)
    (daemon.basedir / "shutdown.stamp").touch()
    await eventually(lambda: daemon.master.shutdown_requests == 1)
    await daemon.master.bot.callRemote("shutdown")
    await eventually(lambda: not (daemon.basedir / "marid-worker.pid").exists())


@pytest_twisted.ensureDeferred
async def test_umask_applies_to_what_the_worker_and_its_commands_create(daemon: Daemon) -> None:
    daemon.create("--umask", "077")
    assert (await cli_async("start", str(daemon.basedir)))[2] == 0
    await eventually(lambda: daemon.master.minds)
    builders = await daemon.master.bot.callRemote("setBuilderList", [("b1", "b1")])
    ref = CommandRef()
    await builders["b1"].callRemote(
        "startCommand", ref, "0", "shell", {"workdir": "build", "command": "echo x > made.txt"}
    )
    await eventually(lambda: ref.completed)
    assert stat.S_IMODE((daemon.basedir / "b1").stat().st_mode) == 0o700
    assert stat.S_IMODE((daemon.basedir / "b1" / "build" / "made.txt").stat().st_mode) == 0o600
    assert (await cli_async("stop", str(daemon.basedir)))[2] == 0


@pytest_twisted.ensureDeferred
async def test_a_start_that_cannot_work_says_why_in_one_line(daemon: Daemon) -> None:
    daemon.create()
    config_file = daemon.basedir / "marid-worker.json"
    config = json.loads(config_file.read_text())
    config["connection_string"] = "nosuchtype:whatever"
    config_file.write_text(json.dumps(config))
    _out, err, code = await cli_async("start", str(daemon.basedir))
    assert code == 1
    assert err.startswith("marid-worker start: marid-worker failed to start: bad connection string")
    assert err.count("\n") == 1
    assert not (daemon.basedir / "marid-worker.pid").exists()


@pytest_twisted.ensureDeferred
async def test_maxretries_makes_the_worker_give_up_and_exit(tmp_path: Path) -> None:
    basedir = tmp_path / "w"
    # Port 1 on loopback: nothing listens, every attempt is refused at once.
    result = cli(
        "create-worker",
        "-q",
        "--maxretries",
        "1",
        "--maxdelay",
        "1",
        str(basedir),
        "127.0.0.1:1",
        "w1",
        "pw",
    )
    assert result.returncode == 0
    out, _err, code = await cli_async("start", "--nodaemon", str(basedir))
    assert code == 1
    assert "giving up after 2 failed connection attempts" in out
