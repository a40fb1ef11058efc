"""A real master evaluates master.cfg off its reactor thread, within a time limit."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from marid.scripts.process import is_alive
from tests.integration.cli.conftest import CONFIG, get_json, marid, web_port, write_config

# The config announces that it runs, then waits for the test to create "go" (at most 60 s).
GATED = """\
import os, time
open(os.path.join(basedir, "evaluating"), "w").close()
for _ in range(1200):
    if os.path.exists(os.path.join(basedir, "go")):
        break
    time.sleep(0.05)
"""

RUNAWAY = "c = BuildmasterConfig = {}\nwhile True:\n    pass\n"


def wait_for(condition: object, what: str, timeout: float = 30) -> None:
    assert callable(condition)
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.05)


def logged(basedir: Path, text: str) -> bool:
    return text in (basedir / "marid.log").read_text()


def title(port: int) -> str:
    status, config = get_json(port, "/config")
    assert status == 200
    return str(config["title"])


def test_the_web_api_answers_while_a_slow_config_is_evaluated(master_dir: Path) -> None:
    assert marid("start", str(master_dir)).returncode == 0
    port = web_port(master_dir)
    (master_dir / "master.cfg").write_text(GATED + CONFIG.format(title="Slow"))
    first = subprocess.Popen(
        [sys.executable, "-m", "marid.scripts.runner", "reconfig", str(master_dir)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        wait_for((master_dir / "evaluating").exists, "the config to start")
        # The config is still running: the master answers, with its running config.
        for _ in range(5):
            assert get_json(port, "/api/v2/masters")[0] == 200
        assert title(port) == "Test master"
        second = marid("reconfig", str(master_dir))
        assert second.returncode == 1
        assert "reconfig refused" in second.stderr
        assert "is still being evaluated" in second.stderr
        assert not (master_dir / "go").exists()
        (master_dir / "go").touch()
        out, err = first.communicate(timeout=60)
    finally:
        first.kill()
        first.wait()
    assert first.returncode == 0, err
    assert "reconfig applied: title" in out
    assert title(port) == "Slow"
    assert marid("stop", str(master_dir)).returncode == 0


def test_a_runaway_config_fails_the_reconfig_and_is_stopped(master_dir: Path) -> None:
    assert marid("start", "--config-timeout", "2", str(master_dir)).returncode == 0
    port = web_port(master_dir)
    (master_dir / "master.cfg").write_text(RUNAWAY)
    result = marid("reconfig", str(master_dir))
    assert result.returncode == 1
    config_file = master_dir / "master.cfg"
    assert f"{config_file}:2:" in result.stderr or f"{config_file}:3:" in result.stderr
    assert "did not finish within 2s" in result.stderr
    assert "marid start --config-timeout" in result.stderr
    assert "the running configuration is unchanged" in result.stderr
    assert title(port) == "Test master"
    # The loop is interrupted, so the next reconfig can run.
    wait_for(lambda: logged(master_dir, "overran its time limit has ended"), "the loop to end")
    write_config(master_dir, title="Fixed")
    result = marid("reconfig", str(master_dir))
    assert result.returncode == 0, result.stderr
    assert title(port) == "Fixed"
    pid = int((master_dir / "marid.pid").read_text())
    assert marid("stop", str(master_dir)).returncode == 0
    assert not is_alive(pid)


def test_a_config_stuck_in_a_blocking_call_refuses_reconfigs_but_lets_the_master_stop(
    master_dir: Path,
) -> None:
    assert marid("start", "--config-timeout", "1", str(master_dir)).returncode == 0
    port = web_port(master_dir)
    (master_dir / "master.cfg").write_text("import time\ntime.sleep(3600)\n")
    result = marid("reconfig", str(master_dir))
    assert result.returncode == 1
    assert f"{master_dir / 'master.cfg'}:2:" in result.stderr
    assert "did not finish within 1s" in result.stderr
    again = marid("reconfig", str(master_dir))
    assert again.returncode == 1
    assert "reconfig refused" in again.stderr
    assert "overran its time limit" in again.stderr and "has not stopped yet" in again.stderr
    assert "restart the master" in again.stderr
    assert title(port) == "Test master"
    pid = int((master_dir / "marid.pid").read_text())
    stopped = marid("stop", "--timeout", "30", str(master_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert not is_alive(pid)


def test_start_with_a_runaway_config_fails_with_its_line(master_dir: Path) -> None:
    (master_dir / "master.cfg").write_text(RUNAWAY)
    result = marid("start", "--config-timeout", "1", str(master_dir))
    assert result.returncode == 1
    config_file = master_dir / "master.cfg"
    assert f"{config_file}:2:" in result.stderr or f"{config_file}:3:" in result.stderr
    assert "did not finish within 1s" in result.stderr
    assert not (master_dir / "marid.pid").exists()
