"""A real master process: ``marid start``, ``marid force``, reconfig, ``marid stop``.

This exercises the master's wiring of the scheduler manager (``BuildMaster``
creates it, hooks it to ``data.master`` and reconfigures it with
``c['schedulers']``) and the ``force`` sub-command of ``marid``.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.integration.cli.conftest import get_json, marid

CONFIG = """\
from marid.plugins import schedulers, util
c = BuildmasterConfig = {{}}
c['workers'] = []
c['builders'] = [type("B", (), {{"name": n}})() for n in ("hello", "other")]
c['protocols'] = {{'pb': {{'port': "tcp:0:interface=127.0.0.1"}}}}
c['www'] = {{'port': "tcp:{port}:interface=127.0.0.1"}}
c['db_url'] = "sqlite:///state.sqlite"
c['schedulers'] = [
    schedulers.ForceScheduler('force', {builders!r}),
    schedulers.Triggerable('deploy', ['other']),
]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def master_dir(tmp_path: Path) -> Iterator[Path]:
    basedir = tmp_path / "master"
    assert marid("create-master", str(basedir)).returncode == 0
    yield basedir
    pidfile = basedir / "marid.pid"
    if pidfile.exists():
        with contextlib.suppress(ProcessLookupError):
            os.kill(int(pidfile.read_text()), signal.SIGKILL)


def test_marid_force_against_a_running_master(master_dir: Path) -> None:
    port = free_port()
    (master_dir / "master.cfg").write_text(CONFIG.format(port=port, builders=["hello"]))
    started = marid("start", str(master_dir))
    assert started.returncode == 0, started.stderr

    forced = marid("force", "--reason", "e2e", str(master_dir), "hello")
    assert forced.returncode == 0, forced.stderr
    assert forced.stdout == "buildset 1: build request 1 on builder 'hello'\n"
    status, body = get_json(port, "/api/v2/buildsets/1/properties")
    assert status == 200
    assert body["properties"][0]["reason"] == ["e2e", "Force Build Form"]
    status, body = get_json(port, "/api/v2/schedulers")
    assert [(s["name"], s["master"]["masterid"]) for s in body["schedulers"]] == [
        ("force", 1),
        ("deploy", 1),
    ]

    refused = marid("force", str(master_dir), "other")
    assert refused.returncode == 1
    assert (
        refused.stderr == "marid force: no force scheduler in master.cfg offers builder 'other'\n"
    )
    (master_dir / "master.cfg").write_text(CONFIG.format(port=port, builders=["hello", "other"]))
    assert marid("reconfig", str(master_dir)).returncode == 0
    assert marid("force", str(master_dir), "other").returncode == 0
    status, body = get_json(port, "/api/v2/forceschedulers/force")
    assert body["forceschedulers"][0]["builder_names"] == ["hello", "other"]

    assert marid("stop", str(master_dir)).returncode == 0
    with sqlite3.connect(master_dir / "state.sqlite") as conn:
        assert conn.execute("select * from scheduler_masters").fetchall() == []


AUTH_CONFIG = (
    CONFIG
    + """\
c['www']['auth'] = util.UserPasswordAuth({{'admin': 'admin-pw', 'dev': 'dev-pw'}})
c['www']['authz'] = util.Authz(
    allowRules=[util.AnyControlEndpointMatcher(role='admins')],
    roleMatchers=[util.RolesFromUsername(roles=['admins'], usernames=['admin'])],
)
"""
)


def test_marid_force_logs_in_on_a_master_with_auth(
    master_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = free_port()
    (master_dir / "master.cfg").write_text(AUTH_CONFIG.format(port=port, builders=["hello"]))
    started = marid("start", str(master_dir))
    assert started.returncode == 0, started.stderr

    monkeypatch.delenv("MARID_PASSWORD", raising=False)
    anonymous = marid("force", str(master_dir), "hello")
    assert anonymous.returncode == 1
    assert "not allowed for anonymous users" in anonymous.stderr
    no_password = marid("force", "--user", "admin", str(master_dir), "hello")
    assert no_password.returncode == 1
    assert no_password.stderr == "marid force: no password for 'admin': set MARID_PASSWORD\n"

    monkeypatch.setenv("MARID_PASSWORD", "wrong")
    wrong = marid("force", "--user", "admin", str(master_dir), "hello")
    assert (wrong.returncode, wrong.stderr) == (1, "marid force: wrong user name or password\n")
    monkeypatch.setenv("MARID_PASSWORD", "dev-pw")
    dev = marid("force", "--user", "dev", str(master_dir), "hello")
    assert dev.returncode == 1 and "not allowed for 'dev'" in dev.stderr
    monkeypatch.setenv("MARID_PASSWORD", "admin-pw")
    admin = marid("force", "--user", "admin", str(master_dir), "hello")
    assert admin.returncode == 0, admin.stderr
    assert admin.stdout == "buildset 1: build request 1 on builder 'hello'\n"
    status, body = get_json(port, "/api/v2/buildsets/1/properties")
    assert status == 200
    assert body["properties"][0]["owner"] == ["admin", "Force Build Form"]
