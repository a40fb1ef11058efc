"""How the web API answers while a running master evaluates a slow ``master.cfg``.

Starts a real master with ``marid start`` in a temporary directory, then for
each scenario writes a ``master.cfg`` that takes long to evaluate, runs
``marid reconfig`` and, until it returns, asks ``GET /api/v2/masters`` every
50 ms. Prints the number of answers, the median and slowest answer time and
the reconfig's outcome.

The master runs with ``--config-timeout`` of ``--seconds``.

- ``sleep``: the config sleeps half of ``--seconds`` (releasing the GIL) and
  is applied.
- ``spin``: the config loops in Python (taking the GIL at every switch) until
  the time limit cuts it off.

    .venv/bin/python bench/reconfig_responsiveness.py [--seconds 10] [sleep] [spin]

Figures are printed, never asserted.
"""

from __future__ import annotations

import argparse
import re
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

CONFIG = """\
c = BuildmasterConfig = {}
c['protocols'] = {'pb': {'port': "tcp:0:interface=127.0.0.1"}}
c['www'] = {'port': "tcp:0:interface=127.0.0.1"}
"""
SLOW = {
    "sleep": "import time\ntime.sleep({seconds})\n",
    "spin": "while True:\n    pass\n",
}


def marid(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "marid.scripts.runner", *args]
    return subprocess.run(command, capture_output=True, text=True, check=False)


def web_port(basedir: Path) -> int:
    found = re.findall(
        r"web server listening on 127\.0\.0\.1:(\d+)", (basedir / "marid.log").read_text()
    )
    return int(found[-1])


def measure(basedir: Path, port: int, scenario: str, seconds: float, label: str) -> None:
    (basedir / "master.cfg").write_text(SLOW[scenario].format(seconds=seconds) + CONFIG)
    command = [sys.executable, "-m", "marid.scripts.runner", "reconfig", str(basedir)]
    reconfig = subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )
    times: list[float] = []
    while reconfig.poll() is None:
        started = time.monotonic()
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/api/v2/masters", timeout=60) as r:
            r.read()
        times.append(time.monotonic() - started)
        time.sleep(0.05)
    outcome = (reconfig.stdout.read() if reconfig.stdout else "").strip().splitlines()
    print(
        f"{scenario:6} {label}: {len(times)} answers during the reconfig, "
        f"median {statistics.median(times) * 1000:.1f} ms, slowest {max(times) * 1000:.1f} ms; "
        f"reconfig said: {outcome[-1] if outcome else '?'}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("scenarios", nargs="*", help="sleep, spin (default: both)")
    args = parser.parse_args()
    unknown = set(args.scenarios) - set(SLOW)
    if unknown:
        parser.error(f"unknown scenario {', '.join(sorted(unknown))}")
    with tempfile.TemporaryDirectory() as tmp:
        basedir = Path(tmp) / "master"
        assert marid("create-master", str(basedir)).returncode == 0
        (basedir / "master.cfg").write_text(CONFIG)
        timeout = str(args.seconds)
        started = marid("start", "--config-timeout", timeout, str(basedir))
        assert started.returncode == 0, started.stderr
        try:
            port = web_port(basedir)
            for scenario in args.scenarios or list(SLOW):
                (basedir / "master.cfg").write_text(CONFIG)
                # The runaway of the previous scenario must have ended before the next reconfig.
                time.sleep(1)
                if scenario == "sleep":
                    measure(basedir, port, scenario, args.seconds / 2, f"{args.seconds / 2:g}s")
                else:
                    measure(basedir, port, scenario, 0, f"until the {args.seconds:g}s limit")
        finally:
            marid("stop", str(basedir))


if __name__ == "__main__":
    main()
