"""A master run by the real ``marid`` command as a daemon, for tests that need its process.

``DaemonMaster`` drives the ``BuildEnv`` master directory (see ``conftest.py``)
the way an operator does: ``marid create-master --force`` over it, then
``marid start``, ``marid stop`` and a SIGKILL of the pid in ``marid.pid``. The
test keeps using the ``BuildEnv`` for the rest: ``write_config`` (fixed
127.0.0.1 ports, so a restarted master and the workers find each other again),
worker processes, and REST over HTTP (``force`` through the force
scheduler's JSON-RPC, ``wait_for_json`` polling with a deadline). The blocking
``marid`` commands run in a thread so the test's reactor keeps turning.
Whatever master is still running when the test ends is killed by its pid.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

from twisted.internet import threads

from marid.scripts.process import is_alive, read_pid
from tests.integration.builds.conftest import BuildEnv, eventually


async def marid(
    *args: str,
    timeout: float = 90,  # noqa: ASYNC109 - the subprocess's own timeout
) -> subprocess.CompletedProcess[str]:
    """Run ``marid ARGS`` in a thread; its completed process (output as text)."""

    def call() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "marid.scripts.runner", *args],
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    result: subprocess.CompletedProcess[str] = await threads.deferToThread(call)
    return result


class DaemonMaster:
    def __init__(self, env: BuildEnv) -> None:
        self.env = env
        self.basedir = str(env.basedir)

    async def create(self) -> None:
        """``marid create-master --force``: a sample config and the database at head."""
        result = await marid("create-master", "--force", self.basedir)
        assert result.returncode == 0, result.stderr

    async def start(self) -> int:
        """``marid start`` (a daemon); returns its pid once it reported it started."""
        result = await marid("start", self.basedir)
        assert result.returncode == 0, result.stderr + self.log()
        pid = self.pid
        assert pid is not None
        return pid

    async def stop(self, *options: str) -> subprocess.CompletedProcess[str]:
        return await marid("stop", *options, self.basedir)

    def stop_in_background(self, *options: str) -> subprocess.Popen[str]:
        """``marid stop OPTIONS`` left running, for a test that acts while it waits."""
        return subprocess.Popen(
            [sys.executable, "-m", "marid.scripts.runner", "stop", *options, self.basedir],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    @property
    def pid(self) -> int | None:
        return read_pid(self.basedir)

    async def kill(self) -> None:
        """SIGKILL the running master and wait until its process is gone."""
        pid = self.pid
        assert pid is not None, "no master is running"
        os.kill(pid, signal.SIGKILL)
        await eventually(lambda: not is_alive(pid), timeout=10)

    def log(self) -> str:
        path = Path(self.basedir) / "marid.log"
        return path.read_text(encoding="utf-8") if path.exists() else ""

    def kill_if_running(self) -> None:
        pid = self.pid
        if pid is not None:
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)


async def wait_for_json(
    env: BuildEnv,
    path: str,
    check: Any,
    timeout: float = 60,  # noqa: ASYNC109 - polled on the reactor
) -> Any:
    """Poll ``GET /api/v2/<path>`` until ``check(body)``; a master that is down is "not yet"."""
    last: list[Any] = [None]

    async def ready() -> bool:
        try:
            status, body = await env.http(path)
        except OSError as error:  # the master is not listening (yet)
            last[0] = error
            return False
        last[0] = body
        return status == 200 and bool(check(body))

    try:
        await eventually(ready, timeout=timeout)
    except AssertionError:
        message = f"GET {path}: still not as expected after {timeout} s: {last[0]!r}"
        raise AssertionError(message) from None
    return last[0]


async def force(env: BuildEnv, builder: str) -> tuple[int, int]:
    """Force ``builder`` through JSON-RPC, as the web UI does; ``(bsid, brid)``."""
    status, body = await env.rpc("forceschedulers/force", "force", builderNames=[builder])
    assert status == 200 and "result" in body, body
    bsid, requests = body["result"]
    (brid,) = requests.values()
    return bsid, brid


async def complete_buildset(env: BuildEnv, bsid: int) -> dict[str, Any]:
    body = await wait_for_json(env, f"buildsets/{bsid}", lambda b: b["buildsets"][0]["complete"])
    buildset: dict[str, Any] = body["buildsets"][0]
    return buildset


async def builds_of(env: BuildEnv, brid: int) -> list[dict[str, Any]]:
    builds: list[dict[str, Any]] = (await env.get(f"buildrequests/{brid}/builds"))["builds"]
    return builds
