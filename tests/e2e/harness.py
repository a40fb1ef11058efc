"""A real master and real marid-worker processes for browser tests, driven like an operator.

``Deployment`` makes a master directory with ``marid create-master``, writes
the given ``master.cfg`` body (ports filled in: free loopback ports picked at
start), runs ``marid start`` and one ``marid-worker`` per configured worker,
and stops everything by PID at the end. ``api``/``rpc`` talk to its REST API
with urllib. Everything binds 127.0.0.1.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def eventually(check: Callable[[], T | None], timeout: float = 30, what: str = "") -> T:
    """Call ``check`` until it returns something truthy; that value."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while time.monotonic() < deadline:
        try:
            last = check()
        except (OSError, urllib.error.URLError) as error:
            last = error
        if last:
            return last  # type: ignore[no-any-return]
        time.sleep(0.1)
    raise AssertionError(f"{what or check} not true after {timeout} s; last: {last!r}")


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, capture_output=True, text=True, timeout=120, check=False)


class Deployment:
    def __init__(self, basedir: Path, config_body: str, workers: dict[str, str]):
        self.basedir = basedir
        self.config_body = config_body
        self.workers = workers  # name -> password
        self.http_port = free_port()
        self.pb_port = free_port()
        self.url = f"http://127.0.0.1:{self.http_port}/"

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> None:
        master = str(self.basedir / "master")
        created = _run(sys.executable, "-m", "marid.scripts.runner", "create-master", master)
        assert created.returncode == 0, created.stderr
        header = (
            "from marid.plugins import schedulers, steps, util, worker\n"
            "c = BuildmasterConfig = {}\n"
            f"c['protocols'] = {{'pb': {{'port': 'tcp:{self.pb_port}:interface=127.0.0.1'}}}}\n"
            f"c['www'] = {{'port': 'tcp:{self.http_port}:interface=127.0.0.1'}}\n"
            f"c['buildbotURL'] = {self.url!r}\n"
            "c['db'] = {'db_url': 'sqlite:///state.sqlite'}\n"
        )
        (self.basedir / "master" / "master.cfg").write_text(header + self.config_body)
        self.start_master()
        for name, password in self.workers.items():
            wdir = str(self.basedir / "workers" / name)
            args = [wdir, f"127.0.0.1:{self.pb_port}", name, password]
            made = _run(
                sys.executable, "-m", "marid_worker.scripts.runner", "create-worker", "-q", *args
            )
            assert made.returncode == 0, made.stderr
            up = _run(sys.executable, "-m", "marid_worker.scripts.runner", "start", wdir)
            assert up.returncode == 0, up.stdout + up.stderr
        eventually(
            lambda: all(w["connected_to"] for w in self.api("workers")["workers"]),
            what="all workers connected",
        )

    def start_master(self) -> None:
        master = str(self.basedir / "master")
        started = _run(sys.executable, "-m", "marid.scripts.runner", "start", master)
        assert started.returncode == 0, started.stdout + started.stderr + self.master_log()

    def stop_master(self) -> None:
        master = str(self.basedir / "master")
        stopped = _run(sys.executable, "-m", "marid.scripts.runner", "stop", master)
        assert stopped.returncode == 0, stopped.stdout + stopped.stderr

    def stop(self) -> None:
        for pidfile in [
            *(self.basedir / "workers").glob("*/marid-worker.pid"),
            self.basedir / "master" / "marid.pid",
        ]:
            with contextlib.suppress(FileNotFoundError, ValueError, ProcessLookupError):
                pid = int(pidfile.read_text().strip())
                os.kill(pid, signal.SIGTERM)
                for _ in range(100):
                    os.kill(pid, 0)
                    time.sleep(0.1)
                os.kill(pid, signal.SIGKILL)

    def master_log(self) -> str:
        path = self.basedir / "master" / "marid.log"
        return path.read_text(errors="replace") if path.exists() else ""

    # -- REST --------------------------------------------------------------

    def api(self, path: str) -> Any:
        with urllib.request.urlopen(f"{self.url}api/v2/{path}", timeout=10) as response:
            return json.load(response)

    def rpc(self, path: str, method: str, **params: Any) -> Any:
        body = json.dumps({"jsonrpc": "2.0", "method": method, "params": params, "id": 1})
        request = urllib.request.Request(
            f"{self.url}api/v2/{path}",
            data=body.encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.load(response)["result"]

    def build(self, buildid: int) -> dict[str, Any]:
        builds: list[dict[str, Any]] = self.api(f"builds/{buildid}")["builds"]
        return builds[0]


def deployment_of(
    tmp_path_factory: Any, config: str, workers: dict[str, str]
) -> Iterator[Deployment]:
    """A started ``Deployment`` for a module's tests, stopped by PID afterwards."""
    deploy = Deployment(tmp_path_factory.mktemp("deployment"), config, workers)
    try:
        deploy.start()
        yield deploy
    finally:
        deploy.stop()


def open_tab(browser: Any) -> Iterator[Any]:
    """A tab in a fresh context that accepts dialogs (as an operator pressing OK) and
    fails the test on any JavaScript error in the page."""
    context = browser.new_context(viewport={"width": 1300, "height": 850})
    tab = context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda error: errors.append(str(error)))
    tab.on("dialog", lambda dialog: dialog.accept())
    yield tab
    context.close()
    assert errors == [], f"JavaScript errors in the page: {errors}"
