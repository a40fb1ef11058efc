"""REST read latency on a large history: a real master over a database with many builds.

Seeds a fresh master directory (SQLite by default, or ``--db URL``) with
``--builders`` builders and ``--builds`` finished builds, starts the master
with ``marid start``, then times each request path over HTTP on 127.0.0.1 and
prints the median and 95th percentile, plus the master's resident memory.

    .venv/bin/python bench/rest_api.py --builds 100000

The seed rows are bulk-inserted straight into the tables (the data API would
take minutes for 100,000 builds); what is measured is only the master's
answers. Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from marid.db import model
from marid.db.base import name_hash
from marid.db.engine import make_engine

PATHS = (
    "/api/v2/builds?limit=100&order=-buildid",
    "/api/v2/builds?limit=100&order=-started_at&complete=true",
    "/api/v2/builders/1/builds?limit=100&order=-number",
    "/api/v2/builds?limit=20&order=-buildid&property=*",
    "/api/v2/builders",
    "/api/v2/masters",
)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def seed(url: str, basedir: Path, builders: int, builds: int) -> None:
    engine = make_engine(url, str(basedir))
    now = int(time.time()) - builds * 10
    with engine.begin() as conn:
        conn.execute(
            model.masters.insert(),
            [{"name": "seed", "name_hash": name_hash("seed"), "active": 0, "last_active": now}],
        )
        conn.execute(
            model.builders.insert(),
            [
                {"name": f"builder-{i:03d}", "name_hash": name_hash(f"builder-{i:03d}")}
                for i in range(builders)
            ],
        )
        conn.execute(model.workers.insert(), [{"name": f"w{i}", "info": "{}"} for i in range(4)])
    batch = 10_000
    for start in range(0, builds, batch):
        ids = range(start + 1, min(start + batch, builds) + 1)
        with engine.begin() as conn:
            conn.execute(
                model.buildsets.insert(),
                [
                    {
                        "id": i,
                        "reason": "bench",
                        "submitted_at": now + i * 10,
                        "complete": 1,
                        "complete_at": now + i * 10 + 5,
                        "results": 0,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                model.buildrequests.insert(),
                [
                    {
                        "id": i,
                        "buildsetid": i,
                        "builderid": (i % builders) + 1,
                        "complete": 1,
                        "results": 0,
                        "submitted_at": now + i * 10,
                        "complete_at": now + i * 10 + 5,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                model.builds.insert(),
                [
                    {
                        "id": i,
                        "number": (i - 1) // builders + 1,
                        "builderid": (i % builders) + 1,
                        "buildrequestid": i,
                        "workerid": (i % 4) + 1,
                        "masterid": 1,
                        "started_at": now + i * 10,
                        "complete_at": now + i * 10 + 5,
                        "state_string": "build successful",
                        "results": 0,
                    }
                    for i in ids
                ],
            )
            conn.execute(
                model.build_properties.insert(),
                [
                    {"buildid": i, "name": name, "value": '"x"', "source": "bench"}
                    for i in ids
                    for name in ("branch", "revision")
                ],
            )
    engine.dispose()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def time_path(port: int, path: str, repeat: int) -> tuple[float, float, int]:
    url = f"http://127.0.0.1:{port}{path}"
    for _ in range(5):
        urllib.request.urlopen(url).read()
    samples = []
    size = 0
    for _ in range(repeat):
        t0 = time.perf_counter()
        with urllib.request.urlopen(url) as response:
            size = len(response.read())
        samples.append(time.perf_counter() - t0)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.95) - 1], size


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--builds", type=int, default=100_000)
    parser.add_argument("--builders", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--db", default="sqlite:///state.sqlite")
    args = parser.parse_args()
    marid = [sys.executable, "-m", "marid.scripts.runner"]
    with tempfile.TemporaryDirectory(prefix="marid-bench-") as tmp:
        basedir = Path(tmp) / "master"
        subprocess.run(
            [*marid, "create-master", "--db", args.db, str(basedir)],
            check=True,
            capture_output=True,
        )
        port = free_port()
        cfg = basedir / "master.cfg"
        cfg.write_text(
            cfg.read_text()
            .replace("tcp:8010:interface=127.0.0.1", f"tcp:{port}:interface=127.0.0.1")
            .replace("tcp:9989:interface=127.0.0.1", "tcp:0:interface=127.0.0.1")
        )
        t0 = time.perf_counter()
        seed(args.db, basedir, args.builders, args.builds)
        elapsed = time.perf_counter() - t0
        print(f"seeded {args.builds} builds, {args.builders} builders: {elapsed:.1f}s ({args.db})")
        subprocess.run([*marid, "start", str(basedir)], check=True, capture_output=True)
        pid = int((basedir / "marid.pid").read_text())
        try:
            print(f"{'path':60} {'median ms':>10} {'p95 ms':>8} {'bytes':>9}")
            for path in PATHS:
                median, p95, size = time_path(port, path, args.repeat)
                print(f"{path:60} {median * 1000:10.2f} {p95 * 1000:8.2f} {size:9d}")
            print(f"master RSS after the run: {rss_mb(pid):.1f} MB")
        finally:
            subprocess.run([*marid, "stop", str(basedir)], check=False, capture_output=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
