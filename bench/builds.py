"""Build throughput, latency and log ingestion, on real ``marid-worker`` processes.

Each scenario runs in a fresh Python process (so its peak RSS is its own)
with a master in that process (SQLite, loopback PB) and real worker
processes; builds are submitted through the data API, as a scheduler would,
and their completion is awaited through the MQ, so no polling blurs the
times. The master's CPU time is that process's CPU time (reactor and
database threads).

- ``latency``: one trivial build (``true``) at a time on an idle master with
  one worker, trigger to buildset complete; median and best of ``--runs``.
- ``throughput``: ``--builds`` trivial builds submitted at once, four workers
  with ``max_builds=1`` (``collapseRequests=False``): builds per second and
  master CPU per build.
- ``watched``: ``throughput`` while ``--ws-clients`` web UI clients (another
  process, ``ws_listeners.py``) follow builds, steps, logs and requests over
  the websocket: builds per second, master CPU per build, events delivered.
- ``log``: one build printing ``--lines`` lines of 79 bytes: MB/s from
  trigger to complete, and the master's peak RSS.
- ``api``: ``GET /api/v2/builds?limit=100&order=-buildid`` with ``--api-builds``
  builds in the database: median over 20 requests.

    .venv/bin/python bench/builds.py                 # every scenario
    .venv/bin/python bench/builds.py latency log     # some of them

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path
from typing import Any

WORKER = [sys.executable, "-m", "marid_worker.scripts.runner"]
CONFIG = """\
from marid.plugins import worker, steps, util
c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker(f"w{{i}}", "pw", max_builds=1) for i in range({workers})]
f = util.BuildFactory([steps.ShellCommand(command={command!r}, logEnviron=False)])
c['builders'] = [util.BuilderConfig(name="bench", workernames=[f"w{{i}}" for i in range({workers})],
                                    factory=f, collapseRequests=False)]
c['protocols'] = {{'pb': {{'port': "tcp:{pb_port}:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:{www_port}:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
"""
SCENARIOS = ("latency", "throughput", "watched", "log", "api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


class Setup:
    """A master directory, worker processes and the master itself, in this process."""

    def __init__(self, root: Path, workers: int, command: Any) -> None:
        from marid.db.engine import make_engine
        from marid.db.migrate import upgrade

        self.root = root
        self.workers = workers
        self.basedir = root / "master"
        self.basedir.mkdir()
        self.pb_port, self.www_port = free_port(), free_port()
        (self.basedir / "master.cfg").write_text(
            CONFIG.format(
                workers=workers, command=command, pb_port=self.pb_port, www_port=self.www_port
            )
        )
        engine = make_engine("sqlite:///state.sqlite", str(self.basedir))
        upgrade(engine)
        engine.dispose()
        self.processes: list[subprocess.Popen[bytes]] = []
        self.master: Any = None

    def start_workers(self) -> None:
        for i in range(self.workers):
            workdir = self.root / f"w{i}"
            subprocess.run(
                [
                    *WORKER,
                    "create-worker",
                    str(workdir),
                    f"127.0.0.1:{self.pb_port}",
                    f"w{i}",
                    "pw",
                ],
                check=True,
                capture_output=True,
            )
            self.processes.append(
                subprocess.Popen(
                    [*WORKER, "start", "--nodaemon", str(workdir)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )

    async def start_master(self, wait: bool = True) -> None:
        from twisted.internet import reactor

        from marid.master import BuildMaster

        self.master = BuildMaster(str(self.basedir), reactor)
        await self.master.start_master()
        self.master.startService()
        for i in range(self.workers if wait else 0):
            await self.master.workers.wait_for_connection(f"w{i}", timeout=60)
        self.builderid = await self.master.data.builders.find_builder_id("bench")

    async def submit(self) -> int:
        bsid, _ = await self.master.data.buildsets.add_buildset(
            scheduler="bench",
            sourcestamps=[{"codebase": ""}],
            reason="bench",
            builderids=[self.builderid],
        )
        return int(bsid)

    def waiter(self, count: int) -> Any:
        """A Deferred firing when ``count`` buildsets have completed, counting from now."""
        from twisted.internet import defer

        done: defer.Deferred[None] = defer.Deferred()
        seen = [0]

        def on_complete(key: Any, message: Any) -> None:
            seen[0] += 1
            if seen[0] == count and not done.called:
                done.callback(None)

        consumer = self.master.mq.start_consuming(on_complete, "buildsets/*/complete")
        done.addBoth(lambda result: (consumer.stop_consuming(), result)[1])
        return done

    async def stop(self) -> None:
        if self.master is not None:
            await self.master.stop_master()
        for process in self.processes:
            os.kill(process.pid, signal.SIGKILL)
            process.wait()


async def latency(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    setup = Setup(root, 1, ["true"])
    setup.start_workers()
    await setup.start_master()
    times = []
    try:
        for _ in range(args.runs + 2):
            done = setup.waiter(1)
            started = time.perf_counter()
            await setup.submit()
            await done
            times.append(time.perf_counter() - started)
    finally:
        await setup.stop()
    times = times[2:]  # the first builds warm up imports and caches
    return {
        "trivial build, trigger to complete (median)": f"{statistics.median(times) * 1000:.1f} ms",
        "trivial build (best)": f"{min(times) * 1000:.1f} ms",
    }


async def throughput(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    return await _throughput(root, args, ws_clients=0)


async def watched(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    return await _throughput(root, args, ws_clients=args.ws_clients)


async def _throughput(root: Path, args: argparse.Namespace, ws_clients: int) -> dict[str, Any]:
    setup = Setup(root, 4, ["true"])
    setup.start_workers()
    await setup.start_master()
    listeners = None
    if ws_clients:
        from twisted.internet import threads

        script = str(Path(__file__).parent / "ws_listeners.py")
        listeners = subprocess.Popen(  # noqa: ASYNC220 - started once, before the timing
            [sys.executable, script, str(setup.www_port), str(ws_clients)],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert listeners.stdout is not None
        ready = await threads.deferToThread(listeners.stdout.readline)
        assert ready.strip() == "ready", ready
    try:
        warm = setup.waiter(4)
        for _ in range(4):
            await setup.submit()
        await warm
        done = setup.waiter(args.builds)
        cpu, started = cpu_seconds(), time.perf_counter()
        for _ in range(args.builds):
            await setup.submit()
        await done
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
    finally:
        events = _stop_listeners(listeners)
        await setup.stop()
    watching = f", {ws_clients} UI clients watching" if ws_clients else ""
    figures = {
        f"{args.builds} trivial builds, 4 workers x max_builds=1{watching}": (
            f"{args.builds / wall:.1f} builds/s"
        ),
        "wall time": f"{wall:.2f} s",
        "master CPU per build": (
            f"{cpu / args.builds * 1000:.1f} ms ({cpu / wall * 100:.0f}% of a core)"
        ),
    }
    if events is not None:
        figures["websocket events delivered"] = (
            f"{events} ({events / wall:.0f}/s, warm-up included)"
        )
    return figures


def _stop_listeners(listeners: subprocess.Popen[str] | None) -> int | None:
    """Stop the listener process; the events it received."""
    if listeners is None:
        return None
    listeners.send_signal(signal.SIGTERM)
    out, _ = listeners.communicate(timeout=30)
    counted = [line for line in out.splitlines() if line.startswith("events ")]
    return int(counted[-1].split()[1]) if counted else None


async def log_ingestion(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    command = ["seq", "-f", "%078g", "1", str(args.lines)]
    setup = Setup(root, 1, command)
    setup.start_workers()
    await setup.start_master()
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    try:
        done = setup.waiter(1)
        cpu, started = cpu_seconds(), time.perf_counter()
        await setup.submit()
        await done
        wall, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        logs = await setup.master.db.pool.run(
            lambda conn: conn.exec_driver_sql("select max(num_lines) from logs").scalar()
        )
    finally:
        await setup.stop()
    size_mb = args.lines * 79 / 1e6
    return {
        f"{args.lines} lines ({size_mb:.0f} MB) in one build": f"{size_mb / wall:.1f} MB/s",
        "wall time": f"{wall:.2f} s (master CPU {cpu:.2f} s)",
        "lines stored": logs,
        "master peak RSS": f"{resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB "
        f"(before the build: {rss_before:.0f} MB)",
    }


def _fill_builds(conn: Any, count: int) -> None:
    import sqlalchemy as sa

    from marid.db import model

    builderid = conn.execute(sa.select(model.builders.c.id)).scalar()
    masterid = conn.execute(sa.select(model.masters.c.id)).scalar()
    now = int(time.time())
    bsid = conn.execute(
        model.buildsets.insert().values(reason="bench", submitted_at=now)
    ).inserted_primary_key[0]
    rows = [
        {
            "buildsetid": bsid,
            "builderid": builderid,
            "priority": 0,
            "submitted_at": now,
            "complete": 1,
        }
        for _ in range(count)
    ]
    conn.execute(model.buildrequests.insert(), rows)
    first = conn.execute(sa.select(sa.func.min(model.buildrequests.c.id))).scalar()
    builds = [
        {
            "number": i + 1,
            "builderid": builderid,
            "buildrequestid": first + i,
            "workerid": None,
            "masterid": masterid,
            "started_at": now,
            "complete_at": now + 1,
            "locks_duration_s": 0,
            "state_string": "finished",
            "results": 0,
        }
        for i in range(count)
    ]
    conn.execute(model.builds.insert(), builds)


async def api(root: Path, args: argparse.Namespace) -> dict[str, Any]:
    from twisted.internet import threads

    setup = Setup(root, 1, ["true"])
    await setup.start_master(wait=False)
    try:
        await setup.master.db.pool.run(_fill_builds, args.api_builds)
        url = f"http://127.0.0.1:{setup.www_port}/api/v2/builds?limit=100&order=-buildid"

        def get() -> float:
            request = urllib.request.Request(url, headers={"accept": "application/json"})
            started = time.perf_counter()
            with urllib.request.urlopen(request) as response:
                body = json.loads(response.read())
            assert len(body["builds"]) == 100
            return time.perf_counter() - started

        times = [await threads.deferToThread(get) for _ in range(22)][2:]
    finally:
        await setup.stop()
    return {
        f"GET builds?limit=100&order=-buildid, {args.api_builds} builds": (
            f"{statistics.median(times) * 1000:.1f} ms median"
        )
    }


RUNNERS = {
    "latency": latency,
    "throughput": throughput,
    "watched": watched,
    "log": log_ingestion,
    "api": api,
}


def run_one(name: str, args: argparse.Namespace) -> None:
    from twisted.internet import defer, reactor

    async def main() -> None:
        with tempfile.TemporaryDirectory(prefix="marid-bench-") as tmp:
            print(json.dumps(await RUNNERS[name](Path(tmp), args)))

    def go() -> None:
        d = defer.Deferred.fromCoroutine(main())
        d.addErrback(lambda f: (f.printTraceback(file=sys.stdout), None)[1])
        d.addBoth(lambda _: reactor.stop())

    reactor.callWhenRunning(go)
    reactor.run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"some of {', '.join(SCENARIOS)}")
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--builds", type=int, default=200)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--api-builds", type=int, default=100_000)
    parser.add_argument("--ws-clients", type=int, default=50)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        run_one(args.one, args)
        return
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenarios {sorted(unknown)}; choose from {', '.join(SCENARIOS)}")
    for name in args.scenarios or SCENARIOS:
        command = [sys.executable, __file__, "--one", name, f"--runs={args.runs}"]
        command += [
            f"--builds={args.builds}",
            f"--lines={args.lines}",
            f"--api-builds={args.api_builds}",
            f"--ws-clients={args.ws_clients}",
        ]
        out = subprocess.run(command, capture_output=True, text=True, check=False)
        lines = [line for line in out.stdout.splitlines() if line.startswith("{")]
        if not lines:
            print(f"{name}: failed\n{out.stdout[-2000:]}{out.stderr[-3000:]}")
            continue
        for key, value in json.loads(lines[-1]).items():
            print(f"{name:>10}  {key}: {value}")


if __name__ == "__main__":
    main()
