"""``marid-worker`` serving a real Buildbot 4.3 master (from PyPI), checked through its REST API.

One master and one worker per module: the master runs ``buildbot start`` in a
temporary directory with PB and the web server on free 127.0.0.1 ports; the
worker is ``marid-worker start`` from this project. Builds are forced with
the master's JSON-RPC and judged by what its REST API says. Everything is
stopped by PID. Under ``CI=true`` these tests fail instead of skipping when the
Buildbot venv cannot be made.

Buildbot's web server needs ``buildbot-www`` (its base web app), which
``scripts/interop-venv.sh`` does not install; :func:`ensure_buildbot_www`
adds it to the interop venv when missing.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from marid_worker import __version__

pytestmark = pytest.mark.integration

BUILDBOT_WWW = "buildbot-www==4.3.0"

MASTER_CFG = """\
from buildbot.plugins import schedulers, steps, util, worker

c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker('w1', 'pass')]
c['protocols'] = {{'pb': {{'port': 'tcp:{pb_port}:interface=127.0.0.1'}}}}
c['www'] = {{'port': 'tcp:{www_port}:interface=127.0.0.1', 'plugins': {{}}}}
c['buildbotURL'] = 'http://127.0.0.1:{www_port}/'
c['db'] = {{'db_url': 'sqlite:///state.sqlite'}}
c['title'] = 'marid-worker interop'
c['buildbotNetUsageData'] = None

simple = util.BuildFactory()
simple.addStep(steps.ShellCommand(
    name='first', command='echo first-step-output; echo payload-for-upload > artifact.txt'))
simple.addStep(steps.ShellCommand(
    name='second', command=['sh', '-c', 'echo second-step-output; cat artifact.txt']))
simple.addStep(steps.FileUpload(workersrc='artifact.txt', masterdest='uploaded/artifact.txt'))

transfers = util.BuildFactory()
transfers.addStep(steps.ShellCommand(
    name='tree', command='mkdir -p out/sub && echo alpha > out/a.txt && echo beta > out/sub/b.txt'))
transfers.addStep(steps.DirectoryUpload(
    workersrc='out', masterdest='uploaded/tree', compress='gz'))
transfers.addStep(steps.FileDownload(mastersrc='to-worker.txt', workerdest='got/to-worker.txt'))
transfers.addStep(steps.ShellCommand(name='check', command='cat got/to-worker.txt'))

slow = util.BuildFactory()
slow.addStep(steps.ShellCommand(name='sleep', command='echo $$ > sleeper.pid; sleep 300'))

c['builders'] = [
    util.BuilderConfig(name='simple', workernames=['w1'], factory=simple),
    util.BuilderConfig(name='transfers', workernames=['w1'], factory=transfers),
    util.BuilderConfig(name='slow', workernames=['w1'], factory=slow),
]
c['schedulers'] = [
    schedulers.ForceScheduler(name='force', builderNames=['simple', 'transfers', 'slow']),
]
"""


def required(message: str) -> None:
    if os.environ.get("CI") == "true":
        pytest.fail(f"required under CI: {message}")
    pytest.skip(message)


def ensure_buildbot_www(venv: Path) -> None:
    python = str(venv / "bin" / "python")
    if (
        subprocess.run(
            [python, "-c", "import buildbot_www"], capture_output=True, check=False
        ).returncode
        == 0
    ):
        return
    installed = subprocess.run(
        [python, "-m", "pip", "install", "-q", BUILDBOT_WWW],
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    if installed.returncode != 0:
        required(f"cannot install {BUILDBOT_WWW}: {installed.stderr.strip()[-300:]}")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for(check: Callable[[], Any], timeout: float = 60, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.2)


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except (OSError, IndexError):
        return True


def stop_pid(pid: int, timeout: float = 30) -> None:
    if not pid_alive(pid):
        return
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while pid_alive(pid):
        if time.monotonic() > deadline:
            os.kill(pid, signal.SIGKILL)
            return
        time.sleep(0.1)


@dataclass
class Installation:
    master_dir: Path
    worker_dir: Path
    www_port: int

    def get(self, path: str) -> Any:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.www_port}/api/v2{path}", timeout=30
        ) as answer:
            return json.loads(answer.read())

    def text(self, path: str) -> str:
        with urllib.request.urlopen(
            f"http://127.0.0.1:{self.www_port}/api/v2{path}", timeout=30
        ) as answer:
            return str(answer.read().decode())

    def rpc(self, path: str, method: str, **params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1}).encode()
        request = urllib.request.Request(
            f"http://127.0.0.1:{self.www_port}/api/v2{path}",
            data=body,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=30) as answer:
            reply = json.loads(answer.read())
        assert "error" not in reply, reply
        return reply["result"]

    def builder_id(self, name: str) -> int:
        (builder,) = [b for b in self.get("/builders")["builders"] if b["name"] == name]
        return int(builder["builderid"])

    def force(self, builder: str) -> int:
        """Force a build on ``builder``; its build request id."""
        builderid = self.builder_id(builder)
        _, requests = self.rpc("/forceschedulers/force", "force", builderid=str(builderid))
        return int(requests[str(builderid)])

    def build_for(self, request_id: int, *, complete: bool = True) -> dict[str, Any]:
        def found() -> dict[str, Any] | None:
            builds = self.get(f"/builds?buildrequestid={request_id}")["builds"]
            if builds and (builds[0]["complete"] or not complete):
                return builds[0]  # type: ignore[no-any-return]
            return None

        return wait_for(found, what=f"the build of request {request_id}")  # type: ignore[no-any-return]

    def steps(self, buildid: int) -> list[dict[str, Any]]:
        return self.get(f"/builds/{buildid}/steps")["steps"]  # type: ignore[no-any-return]

    def log(self, buildid: int, step_number: int) -> str:
        return self.text(f"/builds/{buildid}/steps/{step_number}/logs/stdio/raw")

    def worker(self) -> dict[str, Any]:
        return self.get("/workers")["workers"][0]  # type: ignore[no-any-return]

    @property
    def worker_pid(self) -> int | None:
        pidfile = self.worker_dir / "marid-worker.pid"
        return int(pidfile.read_text()) if pidfile.exists() else None


def marid_worker(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "marid_worker.scripts.runner", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture(scope="module")
def buildbot(
    interop_venv: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    ensure_buildbot_www(interop_venv)
    root = tmp_path_factory.mktemp("buildbot-interop")
    master_dir, worker_dir = root / "master", root / "worker"
    bin_dir = interop_venv / "bin"
    created = subprocess.run(
        [str(bin_dir / "buildbot"), "create-master", "-q", str(master_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert created.returncode == 0, created.stderr
    pb_port, www_port = free_port(), free_port()
    (master_dir / "master.cfg").write_text(MASTER_CFG.format(pb_port=pb_port, www_port=www_port))
    (master_dir / "to-worker.txt").write_text("downloaded from the master\n")
    installation = Installation(master_dir, worker_dir, www_port)
    started = subprocess.run(
        [str(bin_dir / "buildbot"), "start", str(master_dir)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    master_pid = (
        int((master_dir / "twistd.pid").read_text())
        if (master_dir / "twistd.pid").exists()
        else None
    )
    try:
        assert started.returncode == 0, (
            started.stdout + started.stderr + (master_dir / "twistd.log").read_text()[-3000:]
        )
        made = marid_worker(
            "create-worker",
            "-q",
            "--allow-shutdown",
            "signal",
            "--keepalive",
            "1",
            str(worker_dir),
            f"127.0.0.1:{pb_port}",
            "w1",
            "pass",
        )
        assert made.returncode == 0, made.stderr
        (worker_dir / "info" / "admin").write_text("Interop Admin <interop@example.invalid>\n")
        (worker_dir / "info" / "host").write_text("the interop test host\n")
        launched = marid_worker("start", str(worker_dir))
        assert launched.returncode == 0, launched.stderr
        wait_for(lambda: installation.worker()["connected_to"], what="the worker to connect")
        yield installation
    finally:
        worker_pid = installation.worker_pid
        if worker_pid is not None:
            stop_pid(worker_pid)
        if master_pid is not None:
            stop_pid(master_pid)


def test_a_forced_build_succeeds_with_both_steps_output_and_the_upload(
    buildbot: Installation,
) -> None:
    build = buildbot.build_for(buildbot.force("simple"))
    assert build["results"] == 0, build
    steps = {step["name"]: step for step in buildbot.steps(build["buildid"])}
    assert [steps[name]["results"] for name in ("first", "second", "upload")] == [0, 0, 0]
    first = buildbot.log(build["buildid"], steps["first"]["number"])
    second = buildbot.log(build["buildid"], steps["second"]["number"])
    assert "first-step-output" in first
    assert "second-step-output" in second
    assert "payload-for-upload" in second
    assert "elapsedTime=" in first
    uploaded = buildbot.master_dir / "uploaded" / "artifact.txt"
    assert uploaded.read_text() == "payload-for-upload\n"


def test_the_master_shows_the_workers_info(buildbot: Installation) -> None:
    info = buildbot.worker()["workerinfo"]
    assert info["admin"] == "Interop Admin <interop@example.invalid>\n"
    assert info["host"] == "the interop test host\n"
    assert info["version"] == __version__


def test_buildbot_accepts_the_workers_keepalives(buildbot: Installation) -> None:
    log = buildbot.worker_dir / "marid-worker.log"
    time.sleep(2.5)  # the worker sends one every second
    text = log.read_text()
    assert "keepalive" not in text  # failures and missed answers are logged
    assert text.count("connected to the master") == 1


def test_directory_upload_with_gz_and_file_download(buildbot: Installation) -> None:
    build = buildbot.build_for(buildbot.force("transfers"))
    assert build["results"] == 0, buildbot.steps(build["buildid"])
    tree = buildbot.master_dir / "uploaded" / "tree"
    assert (tree / "a.txt").read_text() == "alpha\n"
    assert (tree / "sub" / "b.txt").read_text() == "beta\n"
    steps = {step["name"]: step for step in buildbot.steps(build["buildid"])}
    assert "downloaded from the master" in buildbot.log(build["buildid"], steps["check"]["number"])


def test_stopping_a_build_kills_its_command_on_the_worker(buildbot: Installation) -> None:
    build = buildbot.build_for(buildbot.force("slow"), complete=False)
    pidfile = buildbot.worker_dir / "slow" / "build" / "sleeper.pid"
    wait_for(
        lambda: pidfile.exists() and pidfile.read_text().strip(), what="the slow step to start"
    )
    pid = int(pidfile.read_text())
    assert pid_alive(pid)
    buildbot.rpc(f"/builds/{build['buildid']}", "stop", reason="interop test")
    finished = buildbot.build_for(build["buildrequestid"])
    assert finished["results"] == 6  # CANCELLED
    wait_for(lambda: not pid_alive(pid), timeout=30, what="the step's process to die")


def test_sighup_asks_buildbot_for_a_graceful_shutdown_and_the_worker_exits(
    buildbot: Installation,
) -> None:
    pid = buildbot.worker_pid
    assert pid is not None
    os.kill(pid, signal.SIGHUP)
    wait_for(lambda: not pid_alive(pid), what="the worker to be shut down by the master")
    assert not (buildbot.worker_dir / "marid-worker.pid").exists()
    wait_for(lambda: not buildbot.worker()["connected_to"], what="the master to see the worker go")
