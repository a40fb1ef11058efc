"""``marid create-master``, ``checkconfig`` and ``upgrade-master`` as an operator runs them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from marid.db.migrate import head_revision
from tests.integration.cli.conftest import marid

THREE_MISTAKES = """\
c = BuildmasterConfig = {}
c['title'] = 42
c['www'] = {'port': "tcp:8010:interface=127.0.0.1"}
c['protocols'] = {'pb': {'port': 99999}}
c['titel'] = "typo"
"""


def test_create_master_writes_config_sample_and_database_at_head(tmp_path: Path) -> None:
    basedir = tmp_path / "m"
    result = marid("create-master", str(basedir))
    assert result.returncode == 0, result.stderr
    assert (basedir / "master.cfg").read_text() == (basedir / "master.cfg.sample").read_text()
    with sqlite3.connect(basedir / "state.sqlite") as conn:
        (revision,) = conn.execute("select version_num from alembic_version").fetchone()
        (journal,) = conn.execute("pragma journal_mode").fetchone()
    assert revision == head_revision()
    assert journal == "wal"


def test_sample_config_passes_checkconfig(tmp_path: Path) -> None:
    basedir = tmp_path / "m"
    assert marid("create-master", str(basedir)).returncode == 0
    result = marid("checkconfig", str(basedir))
    assert result.returncode == 0, result.stderr
    assert "Config file is good" in result.stdout
    assert marid("checkconfig", str(basedir / "master.cfg.sample")).returncode == 0


def test_create_master_refuses_a_non_empty_directory_without_force(tmp_path: Path) -> None:
    basedir = tmp_path / "m"
    assert marid("create-master", str(basedir)).returncode == 0
    (basedir / "master.cfg").write_text("c = BuildmasterConfig = {}\n")
    result = marid("create-master", str(basedir))
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1
    assert "--force" in result.stderr
    assert "Traceback" not in result.stderr
    forced = marid("create-master", "--force", str(basedir))
    assert forced.returncode == 0, forced.stderr
    assert (basedir / "master.cfg").read_text() == "c = BuildmasterConfig = {}\n"


def test_checkconfig_reports_every_mistake_with_its_line(tmp_path: Path) -> None:
    cfg = tmp_path / "master.cfg"
    cfg.write_text(THREE_MISTAKES)
    result = marid("checkconfig", str(cfg))
    assert result.returncode == 1
    assert f"{cfg}:2:" in result.stderr and "title" in result.stderr
    assert f"{cfg}:4:" in result.stderr and "port" in result.stderr
    assert f"{cfg}:5:" in result.stderr and "titel" in result.stderr
    assert "Traceback" not in result.stderr


def test_checkconfig_on_a_missing_path_is_one_line(tmp_path: Path) -> None:
    result = marid("checkconfig", str(tmp_path / "nope"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "no such file" in result.stderr


def test_upgrade_master_is_safe_to_repeat(tmp_path: Path) -> None:
    basedir = tmp_path / "m"
    assert marid("create-master", str(basedir)).returncode == 0
    first = marid("upgrade-master", str(basedir))
    assert first.returncode == 0, first.stderr
    assert "nothing to do" in first.stdout
    (basedir / "state.sqlite").unlink()
    second = marid("upgrade-master", str(basedir))
    assert second.returncode == 0, second.stderr
    assert f"to {head_revision()}" in second.stdout


def test_every_command_has_help() -> None:
    for command in (
        "create-master",
        "start",
        "stop",
        "restart",
        "reconfig",
        "checkconfig",
        "upgrade-master",
    ):
        result = marid(command, "--help")
        assert result.returncode == 0, command
        assert "usage: marid" in result.stdout


def test_unknown_command_is_an_error_without_traceback() -> None:
    result = marid("frobnicate")
    assert result.returncode != 0
    assert "invalid choice" in result.stderr
    assert "Traceback" not in result.stderr


def unreachable_url() -> str:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"postgresql://marid:secret@127.0.0.1:{port}/nodb"


def test_unreachable_database_is_one_line_without_the_password(tmp_path: Path) -> None:
    result = marid("create-master", "--db", unreachable_url(), str(tmp_path / "m"))
    assert result.returncode == 1
    assert result.stderr.startswith(
        "marid create-master: cannot use the database postgresql://marid:***@"
    )
    assert result.stderr.count("\n") == 1
    assert "secret" not in result.stderr
