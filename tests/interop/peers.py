"""Starting the interop tests' peers: a worker process of either kind, and a master's directory.

``worker_command`` names the real ``buildbot-worker`` of the interop venv or
``marid-worker`` of this checkout; ``running_worker`` creates a worker
directory with it and runs the worker in the foreground until the ``with``
block ends (killed by its pid). ``master_dir`` writes a ``master.cfg`` and an
upgraded SQLite database, ready for ``BuildMaster``.
"""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from marid.db.engine import make_engine
from marid.db.migrate import upgrade


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def worker_command(kind: str, venv: Path) -> list[str]:
    if kind == "buildbot-worker":
        return [str(venv / "bin" / "buildbot-worker")]
    return [sys.executable, "-m", "marid_worker.scripts.runner"]


@contextmanager
def running_worker(
    kind: str, venv: Path, basedir: Path, master: str, *options: str
) -> Iterator[subprocess.Popen[bytes]]:
    """A worker ``w1`` (password ``sekrit``) in ``basedir`` connecting to ``master`` (host:port)."""
    command = worker_command(kind, venv)
    create = [*command, "create-worker", *options, str(basedir), master, "w1", "sekrit"]
    subprocess.run(create, check=True, capture_output=True)
    process = subprocess.Popen(
        [*command, "start", "--nodaemon", str(basedir)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield process
    finally:
        process.kill()
        process.wait(timeout=10)


def master_dir(basedir: Path, config: str) -> Path:
    """``basedir`` with ``config`` as its ``master.cfg`` and an upgraded ``state.sqlite``."""
    basedir.mkdir()
    (basedir / "master.cfg").write_text(config)
    engine = make_engine("sqlite:///state.sqlite", str(basedir))
    upgrade(engine)
    engine.dispose()
    return basedir
