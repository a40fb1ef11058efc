"""The distributions carry what an installed master and worker need."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def build_wheel(source: Path, out: Path) -> zipfile.ZipFile:
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "-q",
            "--no-deps",
            "--no-build-isolation",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (wheel,) = out.glob("*.whl")
    return zipfile.ZipFile(wheel)


@pytest.fixture(scope="module")
def master_wheel(tmp_path_factory: pytest.TempPathFactory) -> zipfile.ZipFile:
    return build_wheel(ROOT, tmp_path_factory.mktemp("master-wheel"))


def test_master_wheel_has_both_packages_migrations_and_templates(
    master_wheel: zipfile.ZipFile,
) -> None:
    names = set(master_wheel.namelist())
    assert "marid/db/migrations/env.py" in names
    assert "marid/db/migrations/versions/0001_initial.py" in names
    assert "marid/scripts/templates/master.cfg" in names
    assert "marid_worker/__init__.py" in names
    assert "marid/py.typed" in names


def test_master_wheel_declares_both_commands_and_extras(master_wheel: zipfile.ZipFile) -> None:
    entry_points = next(n for n in master_wheel.namelist() if n.endswith("entry_points.txt"))
    text = master_wheel.read(entry_points).decode()
    assert "marid = marid.scripts.runner:main" in text
    assert "marid-worker = marid_worker.scripts.runner:main" in text
    metadata = next(n for n in master_wheel.namelist() if n.endswith("METADATA"))
    extras = {
        line.split(":", 1)[1].strip()
        for line in master_wheel.read(metadata).decode().splitlines()
        if line.startswith("Provides-Extra:")
    }
    assert {"postgres", "mysql", "redis", "docker", "ec2", "libvirt", "openstack", "test"} <= extras


def test_worker_wheel_holds_only_the_worker_and_needs_only_twisted(tmp_path: Path) -> None:
    # Build from a copy: setuptools writes build/ and *.egg-info/ beside setup.py.
    source = tmp_path / "src"
    shutil.copytree(ROOT / "worker", source, ignore=shutil.ignore_patterns("build", "*.egg-info"))
    wheel = build_wheel(source, tmp_path / "out")
    packages = {
        n.split("/", 1)[0]
        for n in wheel.namelist()
        if not n.split("/", 1)[0].endswith(".dist-info")
    }
    assert packages == {"marid_worker"}
    metadata = next(n for n in wheel.namelist() if n.endswith("METADATA"))
    requires = [
        line.split(":", 1)[1].strip()
        for line in wheel.read(metadata).decode().splitlines()
        if line.startswith("Requires-Dist:")
    ]
    assert len(requires) == 1 and requires[0].lower().startswith("twisted")
