"""Starting, reconfiguring and stopping a real master process with the ``marid`` command."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlalchemy as sa

from marid.db.engine import make_engine
from marid.db.migrate import downgrade
from tests.integration.cli.conftest import get_json, marid, web_port, write_config


def test_started_master_is_listed_active_and_stop_marks_it_inactive(master_dir: Path) -> None:
    started = marid("start", str(master_dir))
    assert started.returncode == 0, started.stderr
    assert "master started" in started.stdout
    assert (master_dir / "marid.pid").exists()
    port = web_port(master_dir)
    status, body = get_json(port, "/api/v2/masters")
    assert status == 200
    assert body["meta"] == {"total": 1}
    (master,) = body["masters"]
    assert master["active"] is True
    assert master["name"].endswith(str(master_dir))

    again = marid("start", str(master_dir))
    assert again.returncode == 1
    assert "already running" in again.stderr

    stopped = marid("stop", str(master_dir))
    assert stopped.returncode == 0, stopped.stderr
    assert not (master_dir / "marid.pid").exists()
    with sqlite3.connect(master_dir / "state.sqlite") as conn:
        assert conn.execute("select active from masters").fetchall() == [(0,)]


def test_broken_reconfig_keeps_the_running_config(master_dir: Path) -> None:
    assert marid("start", str(master_dir)).returncode == 0
    port = web_port(master_dir)
    (master_dir / "master.cfg").write_text(
        "c = BuildmasterConfig = {}\nc['title'] = 7\nc['nosuchkey'] = 1\n"
    )
    result = marid("reconfig", str(master_dir))
    assert result.returncode == 1
    assert "master.cfg:2:" in result.stderr
    assert "master.cfg:3:" in result.stderr
    assert "unchanged" in result.stderr
    status, config = get_json(port, "/config")
    assert status == 200
    assert config["title"] == "Test master"

    write_config(master_dir, title="Renamed")
    result = marid("reconfig", str(master_dir))
    assert result.returncode == 0, result.stderr
    assert "reconfig applied" in result.stdout
    assert get_json(port, "/config")[1]["title"] == "Renamed"
    assert get_json(port, "/api/v2/masters")[0] == 200
    assert marid("stop", str(master_dir)).returncode == 0


def test_start_with_a_broken_config_lists_the_errors(master_dir: Path) -> None:
    (master_dir / "master.cfg").write_text("c = BuildmasterConfig = {}\nc['title'] = 7\n")
    result = marid("start", str(master_dir))
    assert result.returncode == 1
    assert "master.cfg:2:" in result.stderr
    assert not (master_dir / "marid.pid").exists()


def test_master_refuses_an_old_schema_until_upgraded(master_dir: Path) -> None:
    engine = make_engine("sqlite:///state.sqlite", str(master_dir))
    downgrade(engine, "base")
    with engine.connect() as conn:
        assert "builds" not in sa.inspect(conn).get_table_names()
    engine.dispose()
    result = marid("start", str(master_dir))
    assert result.returncode == 1
    assert "marid upgrade-master" in result.stderr
    assert marid("upgrade-master", str(master_dir)).returncode == 0
    started = marid("start", str(master_dir))
    assert started.returncode == 0, started.stderr
    assert marid("stop", str(master_dir)).returncode == 0


def test_restart_replaces_the_running_master(master_dir: Path) -> None:
    assert marid("start", str(master_dir)).returncode == 0
    first_pid = (master_dir / "marid.pid").read_text()
    result = marid("restart", str(master_dir))
    assert result.returncode == 0, result.stderr
    assert (master_dir / "marid.pid").read_text() != first_pid
    assert get_json(web_port(master_dir), "/api/v2/masters")[1]["masters"][0]["active"] is True
    assert marid("stop", "--clean", str(master_dir)).returncode == 0


def test_stop_without_a_running_master_is_one_clear_line(master_dir: Path) -> None:
    for command in ("stop", "reconfig"):
        result = marid(command, str(master_dir))
        assert result.returncode == 1
        assert result.stderr == f"marid {command}: no master is running in {master_dir}\n"


def test_start_outside_a_master_directory_is_one_clear_line(tmp_path: Path) -> None:
    result = marid("start", str(tmp_path))
    assert result.returncode == 1
    assert "not a master directory" in result.stderr
    assert result.stderr.count("\n") == 1


def test_start_and_upgrade_with_an_unreachable_database_say_why(master_dir: Path) -> None:
    from tests.integration.cli.test_create_and_check import unreachable_url

    cfg = master_dir / "master.cfg"
    cfg.write_text(cfg.read_text().replace("sqlite:///state.sqlite", unreachable_url()))
    upgraded = marid("upgrade-master", str(master_dir))
    assert upgraded.returncode == 1
    assert "cannot use the database" in upgraded.stderr and upgraded.stderr.count("\n") == 1
    started = marid("start", str(master_dir))
    assert started.returncode == 1
    assert "cannot use the database postgresql://marid:***@" in started.stderr
    assert "secret" not in started.stderr
