"""``worker.Worker`` and ``worker.LocalWorker`` in a master.cfg: accepted options and errors."""

from __future__ import annotations

from pathlib import Path

from marid.config.diff import changed_sections
from marid.workers.config import LocalWorker, Worker
from tests.unit.config.configs import errors_of, load

HEADER = "from marid.plugins import worker\nc = BuildmasterConfig = {}\n"


def test_a_buildbot_style_worker_list_loads(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        HEADER
        + "c['workers'] = [\n"
        + "    worker.Worker('w1', 'pw', max_builds=2, notify_on_missing='a@b.org',\n"
        + "                  missing_timeout=300, properties={'os': 'linux'},\n"
        + "                  defaultProperties={'jobs': 2}, locks=[], keepalive_interval=None,\n"
        + "                  machine_name=None),\n"
        + "    worker.LocalWorker('local'),\n"
        + "]\n",
    )

    w1, local = config.workers
    assert isinstance(w1, Worker) and isinstance(local, LocalWorker)
    assert w1.notify_addresses == ["a@b.org"]
    assert w1.keepalive_seconds is None and w1.missing_seconds == 300
    assert w1.all_properties == {"os": "linux", "jobs": 2}
    assert local.password_bytes is None and local.keepalive_seconds == 3600


def test_worker_options_are_checked_at_the_line_that_built_the_worker(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        HEADER
        + "c['workers'] = [\n"
        + "    worker.Worker('w1', '', max_builds=0),\n"
        + "    worker.Worker('w2', 'pw', notify_on_missing=['ops'], keepalive_interval=-1),\n"
        + "    worker.Worker('w3', 'pw', properties=[1], max_build=3),\n"
        + "    worker.LocalWorker('w4', password='x'),\n"
        + "]\n",
    )

    messages = [(e.lineno, e.key, e.message) for e in errors]
    assert messages == [
        (4, "workers", "Worker 'w1': max_builds must be an int of at least 1 or None, not 0"),
        (4, "workers", "Worker 'w1': password must be a non-empty str, not an empty one"),
        (
            5,
            "workers",
            "Worker 'w2': keepalive_interval must be a number of seconds or None, not -1",
        ),
        (5, "workers", "Worker 'w2': notify_on_missing: 'ops' is not an email address"),
        (6, "workers", "Worker 'w3': unknown argument 'max_build' (did you mean 'max_builds'?)"),
        (6, "workers", "Worker 'w3': properties must be a dict, not list"),
        (7, "workers", "LocalWorker 'w4': unknown argument 'password'"),
    ]


def test_builders_must_name_configured_workers(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        HEADER
        + "c['workers'] = [worker.Worker('w1', 'pw')]\n"
        + "class B:\n    name = 'b'\n    workernames = ['w2']\n"
        + "c['builders'] = [B()]\n",
    )

    assert ["unknown worker 'w2'" in e.message for e in errors] == [True]


def test_a_reread_config_with_the_same_workers_changes_nothing(tmp_path: Path) -> None:
    text = HEADER + "c['workers'] = [worker.Worker('w1', 'pw', properties={'a': [1]})]\n"
    first = load(tmp_path, text)
    second = load(tmp_path, "\n\n" + text)  # lines moved: still the same workers

    assert changed_sections(first, second) == set()
    third = load(tmp_path, text.replace("'pw'", "'new'"))
    assert changed_sections(first, third) == {"workers"}


def test_max_builder_references_is_a_positive_int(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        HEADER
        + "c['workers'] = [\n"
        + "    worker.Worker('w1', 'pw', max_builder_references=0),\n"
        + "    worker.Worker('w2', 'pw', max_builder_references='many'),\n"
        + "    worker.Worker('w3', 'pw', max_builder_references=500),\n"
        + "]\n",
    )

    assert [(e.lineno, e.key, e.message) for e in errors] == [
        (4, "workers", "Worker 'w1': max_builder_references must be an int of at least 1, not 0"),
        (
            5,
            "workers",
            "Worker 'w2': max_builder_references must be an int of at least 1, not 'many'",
        ),
    ]
