"""Web UI speed at scale: time to first meaningful render, requests per page, a huge log.

Seeds a master (SQLite) with ``--builders`` builders and ``--builds`` finished
builds, gives the newest build a few steps and one stdio log of ``--log-lines``
lines (about 80 bytes each), starts the master with ``marid start`` and drives
the system Chromium headless with Playwright:

- home, builders, one builder, one build page, waterfall, console and grid:
  milliseconds from navigation to the page's content being on screen, and the
  HTTP requests the page made;
- the log viewer on the big log: open it (first lines shown), jump to its end
  (last line shown), search a string that occurs once near the end (match
  shown); with the browser tab's JS heap and renderer RSS and the master's RSS.

    .venv/bin/python bench/ui.py                    # 100 builders, 100,000 builds, 1M lines
    .venv/bin/python bench/ui.py --builds 10000 --log-lines 100000

Needs the UI built (``make www``) and Chromium (``make browser``). Each page is
loaded ``--repeat`` times in a fresh tab and the median is printed. Figures are
printed, never asserted.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from rest_api import free_port, rss_mb, seed

from marid.db import logcompression, model
from marid.db.engine import make_engine
from marid.db.logs import _lines, _pack
from marid.testing.browser import launch_chromium

NEEDLE = "needle-in-the-haystack"
STEPS = ("git", "configure", "compile", "test", "upload")


def seed_log(url: str, basedir: Path, buildid: int, lines: int) -> int:
    """Steps for ``buildid`` and a stdio log of ``lines`` lines on its ``compile`` step."""
    engine = make_engine(url, str(basedir))
    now = int(time.time())
    with engine.begin() as conn:
        stepids = []
        for number, name in enumerate(STEPS):
            result = conn.execute(
                model.steps.insert().values(
                    number=number,
                    name=name,
                    buildid=buildid,
                    started_at=now,
                    complete_at=now + 1,
                    state_string=name,
                    results=0,
                    urls_json="[]",
                )
            )
            stepids.append(result.inserted_primary_key[0])  # type: ignore[index]
        logid = conn.execute(
            model.logs.insert().values(
                name="stdio", slug="stdio", stepid=stepids[2], complete=1, num_lines=0, type="s"
            )
        ).inserted_primary_key[0]  # type: ignore[index]
    batch = 50_000
    needle_at = lines - lines // 20
    first = 0
    while first < lines:
        count = min(batch, lines - first)
        text = "".join(
            (
                f"e{i:08d} error: {NEEDLE} found here\n"
                if i == needle_at
                else f"o{i:08d} \x1b[32mok\x1b[0m compiling module_{i % 997:03d}.c "
                f"with flags -O2 -Wall -Wextra -fPIC\n"
            )
            for i in range(first, first + count)
        )
        with engine.begin() as conn:
            rows = []
            for chunk_first, last, data in _pack(_lines(text), first):
                packed, codec = logcompression.compress(data)
                rows.append(
                    {
                        "logid": logid,
                        "first_line": chunk_first,
                        "last_line": last,
                        "content": packed,
                        "compressed": codec,
                    }
                )
            conn.execute(model.logchunks.insert(), rows)
        first += count
    with engine.begin() as conn:
        conn.execute(sa.update(model.logs).where(model.logs.c.id == logid).values(num_lines=lines))
    engine.dispose()
    return int(logid)


def config(builders: int, port: int) -> str:
    names = [f"builder-{i:03d}" for i in range(builders)]
    return f"""
from marid.plugins import schedulers, steps, util, worker
c = BuildmasterConfig = {{}}
c['workers'] = [worker.Worker('w0', 'pw')]
c['protocols'] = {{'pb': {{'port': 'tcp:0:interface=127.0.0.1'}}}}
c['www'] = {{'port': 'tcp:{port}:interface=127.0.0.1'}}
c['db'] = {{'db_url': 'sqlite:///state.sqlite'}}
f = util.BuildFactory([steps.ShellCommand(command=['true'])])
c['builders'] = [
    util.BuilderConfig(name=n, workernames=['w0'], factory=f, tags=['t' + n[-1]])
    for n in {names!r}
]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames={names!r})]
"""


def _ppid(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("PPid:"):
            return int(line.split()[1])
    return 0


def _pss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def renderer_mb() -> list[tuple[float, float]]:
    """``(RSS, PSS)`` in MB of each renderer process (a tab) of browsers this process started."""
    me = os.getpid()
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            if b"--type=renderer" not in (proc / "cmdline").read_bytes():
                continue
            pid = int(proc.name)
            while pid > 1 and pid != me:
                pid = _ppid(pid)
        except OSError:
            continue
        if pid == me:
            found.append((rss_mb(int(proc.name)), _pss_mb(int(proc.name))))
    return found


class Page:
    """One fresh tab: navigation with a request counter."""

    def __init__(self, context: Any, base: str):
        self.page = context.new_page()
        self.base = base
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))

    def timed(self, route: str, ready: str) -> tuple[float, int]:
        self.requests.clear()
        t0 = time.perf_counter()
        self.page.goto(self.base + route)
        self.page.wait_for_selector(ready, timeout=60_000)
        elapsed = time.perf_counter() - t0
        return elapsed, len(self.requests)

    def close(self) -> None:
        self.page.close()


def median_of(repeat: int, run: Callable[[], tuple[float, int]]) -> tuple[float, int]:
    samples = [run() for _ in range(repeat)]
    return statistics.median(s[0] for s in samples), samples[-1][1]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--builds", type=int, default=100_000)
    parser.add_argument("--builders", type=int, default=100)
    parser.add_argument("--log-lines", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--screenshots", type=Path, help="save a screenshot of each page here")
    args = parser.parse_args()
    if args.screenshots:
        args.screenshots.mkdir(parents=True, exist_ok=True)
    from playwright.sync_api import sync_playwright

    marid = [sys.executable, "-m", "marid.scripts.runner"]
    with tempfile.TemporaryDirectory(prefix="marid-bench-") as tmp:
        basedir = Path(tmp) / "master"
        subprocess.run([*marid, "create-master", str(basedir)], check=True, capture_output=True)
        port = free_port()
        (basedir / "master.cfg").write_text(config(args.builders, port))
        url = "sqlite:///state.sqlite"
        t0 = time.perf_counter()
        seed(url, basedir, args.builders, args.builds)
        buildid = args.builds
        logid = seed_log(url, basedir, buildid, args.log_lines)
        print(
            f"seeded {args.builds} builds on {args.builders} builders and a "
            f"{args.log_lines}-line log in {time.perf_counter() - t0:.1f} s"
        )
        subprocess.run([*marid, "start", str(basedir)], check=True, capture_output=True)
        master_pid = int((basedir / "marid.pid").read_text())
        base = f"http://127.0.0.1:{port}/"
        builderid = 1
        try:
            with sync_playwright() as pw:
                browser = launch_chromium(pw)
                context = browser.new_context(viewport={"width": 1400, "height": 900})
                pages = [
                    ("home", "#/", SELECTORS["home"]),
                    ("builders", "#/builders", SELECTORS["builders"]),
                    ("builder", f"#/builders/{builderid}", SELECTORS["builder"]),
                    ("build", f"#/builds/{buildid}", SELECTORS["build"]),
                    ("waterfall", "#/waterfall", SELECTORS["matrix"]),
                    ("console", "#/console", SELECTORS["matrix"]),
                    ("grid", "#/grid", SELECTORS["matrix"]),
                ]
                print(f"{'page':10} {'render ms (median)':>20} {'requests':>9}")
                for name, route, ready in pages:

                    def once(
                        route: str = route, ready: str = ready, name: str = name
                    ) -> tuple[float, int]:
                        tab = Page(context, base)
                        try:
                            timing = tab.timed(route, ready)
                            if args.screenshots:
                                tab.page.screenshot(path=str(args.screenshots / f"{name}.png"))
                            return timing
                        finally:
                            tab.close()

                    elapsed, requests = median_of(args.repeat, once)
                    print(f"{name:10} {elapsed * 1000:20.0f} {requests:9d}")
                log_figures(context, base, logid, args.log_lines, args.screenshots)
                print(f"master RSS: {rss_mb(master_pid):.0f} MB")
                browser.close()
        finally:
            subprocess.run([*marid, "stop", str(basedir)], check=False, capture_output=True)
    return 0


# What "rendered" means on each page: an element that holds the page's data.
SELECTORS = {
    "home": "[data-testid=build-row]",
    "builders": "[data-testid=builder-row]",
    "builder": "[data-testid=build-row]",
    "build": "[data-testid=step-row]",
    "log_line": "[data-testid=log-line]",
    "matrix": "[data-testid=matrix-cell]",
}


def log_figures(context: Any, base: str, logid: int, lines: int, shots: Path | None) -> None:
    tab = Page(context, base)
    page = tab.page
    cdp = context.new_cdp_session(page)
    cdp.send("Performance.enable")
    opened, _ = tab.timed(f"#/logs/{logid}", SELECTORS["log_line"])
    last = f"{lines - 1:08d}"
    t0 = time.perf_counter()
    page.get_by_role("button", name="End", exact=True).click()
    page.wait_for_selector(f"[data-testid=log-line]:has-text('{last}')", timeout=60_000)
    to_end = time.perf_counter() - t0
    t0 = time.perf_counter()
    page.get_by_test_id("log-search").fill(NEEDLE)
    page.get_by_test_id("log-search").press("Enter")
    page.wait_for_selector(f"[data-testid=log-line]:has-text('{NEEDLE}')", timeout=60_000)
    searched = time.perf_counter() - t0
    if shots:
        page.screenshot(path=str(shots / "log-search.png"))
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    heap = metrics.get("JSHeapUsedSize", 0) / 1e6
    print(f"log viewer on {lines:,} lines: open {opened * 1000:.0f} ms, ", end="")
    print(f"end {to_end * 1000:.0f} ms, search {searched * 1000:.0f} ms")
    renderers = ", ".join(f"RSS {rss:.0f} MB (PSS {pss:.0f} MB)" for rss, pss in renderer_mb())
    print(f"tab JS heap {heap:.0f} MB; renderer processes: {renderers}")
    tab.close()


if __name__ == "__main__":
    sys.exit(main())
