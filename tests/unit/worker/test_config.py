"""The worker's configuration file and the parsing of addresses and umasks."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest

from marid_worker.config import WorkerConfig, load, parse_master, parse_umask, save
from marid_worker.errors import ConfigError


def config(**changes: object) -> WorkerConfig:
    values: dict[str, object] = {
        "master_host": "ci.example",
        "master_port": 9989,
        "name": "w1",
        "password": "pw",
    }
    values.update(changes)
    return WorkerConfig(**values)  # type: ignore[arg-type]


def test_saved_config_is_private_and_loads_back_equal(tmp_path: Path) -> None:
    original = config(keepalive=30, umask=0o022, maxretries=3, allow_shutdown="file")
    path = save(tmp_path, original)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load(tmp_path) == original


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ci.example", ("ci.example", 9989)),
        ("ci.example:1234", ("ci.example", 1234)),
        ("127.0.0.1:9990", ("127.0.0.1", 9990)),
        ("[::1]:9990", ("::1", 9990)),
        ("[::1]", ("::1", 9989)),
        ("::1", ("::1", 9989)),
    ],
)
def test_master_addresses(text: str, expected: tuple[str, int]) -> None:
    assert parse_master(text) == expected


@pytest.mark.parametrize("text", ["", ":9989", "host:0", "host:70000", "host:port", "[::1"])
def test_bad_master_addresses_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_master(text)


@pytest.mark.parametrize(("text", "value"), [("022", 0o22), ("0o22", 0o22), ("77", 0o77), ("0", 0)])
def test_umasks_are_octal(text: str, value: int) -> None:
    assert parse_umask(text) == value


@pytest.mark.parametrize("text", ["8", "0x1f", "1000", "abc"])
def test_bad_umasks_are_refused(text: str) -> None:
    with pytest.raises(ConfigError):
        parse_umask(text)


@pytest.mark.parametrize(
    "changes",
    [
        {"keepalive": -1},
        {"maxdelay": 0},
        {"maxretries": -1},
        {"log_size": 0},
        {"log_count": -2},
        {"allow_shutdown": "never"},
        {"name": ""},
        {"master_port": 0},
        {"umask": 0o1000},
        {"numcpus": 0},
    ],
)
def test_out_of_range_settings_are_refused(changes: dict[str, object]) -> None:
    with pytest.raises(ConfigError):
        config(**changes)


def test_a_directory_without_config_says_how_to_make_one(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="marid-worker create-worker"):
        load(tmp_path)


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("{", "not valid JSON"),
        ("[]", "JSON object"),
        (
            '{"master_host": "h", "master_port": 1, "name": "w", "password": "p", "colour": 1}',
            "unknown setting 'colour'",
        ),
        ('{"master_host": "h", "master_port": 1, "name": "w"}', "missing setting 'password'"),
        (
            '{"master_host": "h", "master_port": "1", "name": "w", "password": "p"}',
            "master_port has the wrong type",
        ),
        (
            '{"master_host": "h", "master_port": 1, "name": "w", "password": "p",'
            ' "keepalive": true}',
            "keepalive has the wrong type",
        ),
    ],
)
def test_broken_config_files_give_one_line(tmp_path: Path, content: str, message: str) -> None:
    (tmp_path / "marid-worker.json").write_text(content)
    with pytest.raises(ConfigError, match=message) as raised:
        load(tmp_path)
    assert "\n" not in str(raised.value)


def test_config_file_is_plain_json(tmp_path: Path) -> None:
    save(tmp_path, config())
    data = json.loads((tmp_path / "marid-worker.json").read_text())
    assert data["master_host"] == "ci.example" and data["password"] == "pw"
    assert config().master_address == "ci.example:9989"
    assert config(master_host="::1").master_address == "[::1]:9989"
    assert config(connection_string="tcp:host=a:port=1").master_address == "tcp:host=a:port=1"
