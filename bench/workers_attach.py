"""Worker attach at scale: N PB workers logging in to a real master at once.

For each N (``--workers 50 200 1000``) this makes a fresh master directory
with N ``worker.Worker`` entries and one builder that lists them all, starts
it with ``marid start``, then connects N lightweight PB clients from this one
process. Each client does the real login (MD5 challenge/response) with a
minimal Bot that answers ``print``, ``getWorkerInfo`` and ``setBuilderList``.
It prints the time until every client is attached (by the clients, and by
``GET /api/v2/workers``), the master's resident memory before and after, and
how long ``marid stop`` takes with N workers connected. Finally it counts PB
round trips per second over one connection (``perspective.keepalive()``,
sequential and 100 in flight), the master's per-call overhead.

    .venv/bin/python bench/workers_attach.py --workers 50 200 1000

Everything is on 127.0.0.1. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

from twisted.cred.credentials import UsernamePassword
from twisted.internet import defer, task, threads
from twisted.spread import pb

MARID = [sys.executable, "-m", "marid.scripts.runner"]
CONFIG = """\
from marid.plugins import worker

class Builder:
    name = "bench"
    workernames = [f"w{{i}}" for i in range({n})]

c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker(f"w{{i}}", "pw") for i in range({n})]
c['builders'] = [Builder()]
c['protocols'] = {{'pb': {{'port': "tcp:{pb_port}:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:{www_port}:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def connected_count(www_port: int) -> int:
    url = f"http://127.0.0.1:{www_port}/api/v2/workers?field=connected_to"
    with urllib.request.urlopen(url, timeout=60) as response:
        body = json.loads(response.read())
    return sum(1 for worker in body["workers"] if worker["connected_to"])


class MiniBot(pb.Referenceable):
    """The least a worker must answer to attach."""

    def __init__(self, attached: defer.Deferred[float], reactor: Any) -> None:
        self.attached = attached
        self.reactor = reactor

    def remote_print(self, message: str) -> None:
        pass

    def remote_getWorkerInfo(self) -> dict[str, Any]:
        return {"admin": "bench", "host": "bench", "version": "bench", "worker_commands": {}}

    def remote_setBuilderList(self, wanted: list[Any]) -> dict[str, pb.Referenceable]:
        if not self.attached.called:
            self.attached.callback(time.perf_counter())
        return {str(name): pb.Referenceable() for name, _ in wanted}


async def attach_all(reactor: Any, pb_port: int, n: int) -> tuple[list[Any], float, float]:
    """Connect and log in ``n`` clients; (perspectives, all logged in, all attached) times."""
    t0 = time.perf_counter()
    logins = []
    attached: list[defer.Deferred[float]] = []
    for i in range(n):
        factory = pb.PBClientFactory()
        factory.noisy = False
        reactor.connectTCP("127.0.0.1", pb_port, factory)
        done: defer.Deferred[float] = defer.Deferred()
        attached.append(done)
        bot = MiniBot(done, reactor)
        logins.append(factory.login(UsernamePassword(f"w{i}".encode(), b"pw"), client=bot))
    perspectives = await defer.gatherResults(logins)
    logged_in = time.perf_counter() - t0
    times = await defer.gatherResults(attached)
    return perspectives, logged_in, max(times) - t0


async def round_trips(perspective: Any, seconds: float) -> tuple[float, float]:
    """Sequential and pipelined (100 in flight) keepalive calls per second."""
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        await perspective.callRemote("keepalive")
        count += 1
    sequential = count / (time.perf_counter() - start)
    count = 0
    start = time.perf_counter()
    while time.perf_counter() - start < seconds:
        await defer.gatherResults([perspective.callRemote("keepalive") for _ in range(100)])
        count += 100
    return sequential, count / (time.perf_counter() - start)


def start_master(basedir: Path, n: int) -> tuple[int, int, float]:
    """Create and start a master with ``n`` workers; (PB port, web port, seconds to start)."""
    subprocess.run([*MARID, "create-master", str(basedir)], check=True, capture_output=True)
    pb_port, www_port = free_port(), free_port()
    (basedir / "master.cfg").write_text(CONFIG.format(n=n, pb_port=pb_port, www_port=www_port))
    t0 = time.perf_counter()
    subprocess.run([*MARID, "start", str(basedir)], check=True, capture_output=True)
    return pb_port, www_port, time.perf_counter() - t0


async def run_one(reactor: Any, n: int, rtt_seconds: float, keep: Path | None) -> None:
    with tempfile.TemporaryDirectory(prefix="marid-bench-workers-") as tmp:
        basedir = (keep or Path(tmp)) / f"master-{n}"
        pb_port, www_port, started = await threads.deferToThread(start_master, basedir, n)
        pid = int((basedir / "marid.pid").read_text())
        idle_rss = rss_mb(pid)
        try:
            t0 = time.perf_counter()
            perspectives, logged_in, attached = await attach_all(reactor, pb_port, n)
            while await threads.deferToThread(connected_count, www_port) < n:
                await task.deferLater(reactor, 0.05, lambda: None)
            in_rest = time.perf_counter() - t0
            busy_rss = rss_mb(pid)
            print(
                f"N={n:5d}  start {started:5.2f}s  logged in {logged_in:6.2f}s  "
                f"attached {attached:6.2f}s  in REST {in_rest:6.2f}s  "
                f"RSS {idle_rss:6.1f} -> {busy_rss:6.1f} MB "
                f"(+{(busy_rss - idle_rss) / n * 1024:.0f} KB/worker)"
            )
            if rtt_seconds > 0:
                sequential, pipelined = await round_trips(perspectives[0], rtt_seconds)
                print(
                    f"         keepalive round trips over one connection: "
                    f"{sequential:,.0f}/s sequential, {pipelined:,.0f}/s pipelined"
                )
        finally:
            t0 = time.perf_counter()
            await threads.deferToThread(
                subprocess.run, [*MARID, "stop", str(basedir)], check=False, capture_output=True
            )
            print(
                f"         marid stop with {n} workers connected: {time.perf_counter() - t0:.2f}s"
            )


async def main_async(reactor: Any, sizes: list[int], rtt_seconds: float, keep: Path | None) -> None:
    for index, n in enumerate(sizes):
        await run_one(reactor, n, rtt_seconds if index == 0 else 0, keep)


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--workers", type=int, nargs="+", default=[50, 200, 1000])
    parser.add_argument(
        "--rtt-seconds", type=float, default=3.0, help="round-trip measurement (0: skip)"
    )
    parser.add_argument("--keep", type=Path, help="make the master directories here and keep them")
    args = parser.parse_args()

    def run(r: Any) -> defer.Deferred[None]:
        return defer.Deferred.fromCoroutine(
            main_async(r, args.workers, args.rtt_seconds, args.keep)
        )

    task.react(run)
    return 0


if __name__ == "__main__":
    sys.exit(main())
