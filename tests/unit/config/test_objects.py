"""Workers, builders, schedulers and services: names, references, and errors at their lines."""

from __future__ import annotations

from pathlib import Path

from tests.unit.config.configs import errors_of, load, one_error, write

HEADER = """\
from types import SimpleNamespace
from tests.unit.config.fakes import (
    AddWorkerConfigurator, BrokenCheckService, Builder, FussyService, Scheduler, Worker,
)
c = BuildmasterConfig = {}
"""  # five lines: bodies start on line 6


def cfg(body: str) -> str:
    return HEADER + body.strip("\n") + "\n"


def test_errors_about_one_worker_point_where_that_worker_was_built(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        cfg(
            """
c['workers'] = [
    Worker("w1"),
    Worker(42),
    Worker("w1"),
]
"""
        ),
    )

    assert [(e.lineno, e.key) for e in errors] == [(8, "workers"), (9, "workers")]
    assert errors[0].message == "worker #2 (Worker) needs a non-empty str 'name'"
    assert errors[1].message == (
        f"duplicate worker name 'w1' (first defined at {tmp_path / 'master.cfg'}:7)"
    )


def test_objects_built_in_a_helper_module_point_into_it(tmp_path: Path) -> None:
    write(
        tmp_path,
        "from tests.unit.config.fakes import Worker\n\n"
        "def workers():\n"
        "    return [Worker('bad name')]\n",
        name="helper_workers.py",
    )

    error = one_error(
        tmp_path, cfg("import helper_workers\nc['workers'] = helper_workers.workers()")
    )

    assert (error.filename, error.lineno) == (str(tmp_path / "helper_workers.py"), 4)
    assert "must be 1 to 50 letters" in error.message


def test_objects_without_an_origin_point_at_the_key(tmp_path: Path) -> None:
    error = one_error(
        tmp_path,
        cfg("c['workers'] = []\nc['workers'].append(SimpleNamespace(name=''))"),
    )

    assert (error.lineno, error.key) == (6, "workers")


def test_worker_names_must_suit_the_database(tmp_path: Path) -> None:
    error = one_error(tmp_path, cfg("c['workers'] = [Worker('w' * 51)]"))

    assert "must be 1 to 50 letters" in error.message


def test_builder_names_are_unique_and_do_not_start_with_underscore(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        cfg(
            """
c['workers'] = [Worker("w")]
c['builders'] = [Builder("b", ["w"]), Builder("b", ["w"]), Builder("_x", ["w"])]
"""
        ),
    )

    assert [e.message for e in errors] == [
        f"duplicate builder name 'b' (first defined at {tmp_path / 'master.cfg'}:7)",
        "builder name '_x' must not start with '_'",
    ]


def test_builders_given_as_dicts_are_pointed_at_the_builder_class(tmp_path: Path) -> None:
    error = one_error(tmp_path, cfg("c['builders'] = [{'name': 'b', 'workernames': []}]"))

    assert error.message == "builder #1 is a dict; write util.BuilderConfig(name=..., ...)"


def test_builders_must_use_defined_workers(tmp_path: Path) -> None:
    error = one_error(
        tmp_path,
        cfg(
            """
c['workers'] = [Worker("linux")]
c['builders'] = [
    Builder("b", ["linux", "linx"]),
]
"""
        ),
    )

    assert (error.key, error.lineno) == ("builders", 8)
    assert error.message == "builder 'b' uses unknown worker 'linx' (did you mean 'linux'?)"


def test_schedulers_must_trigger_defined_builders_and_be_unique(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        cfg(
            """
c['workers'] = [Worker("w")]
c['builders'] = [Builder("tests", ["w"])]
c['schedulers'] = [Scheduler("s", ["test"]), Scheduler("s", ["tests"])]
"""
        ),
    )

    assert sorted(e.message for e in errors) == [
        f"duplicate scheduler name 's' (first defined at {tmp_path / 'master.cfg'}:8)",
        "scheduler 's' triggers unknown builder 'test' (did you mean 'tests'?)",
    ]


def test_change_source_may_be_one_object_a_list_or_none(tmp_path: Path) -> None:
    single = load(tmp_path, cfg("c['change_source'] = SimpleNamespace(name='poller')"))
    several = load(tmp_path, cfg("c['change_source'] = [SimpleNamespace(), SimpleNamespace()]"))

    nothing = load(tmp_path, cfg("c['change_source'] = None"))

    assert [s.name for s in single.change_source] == ["poller"]
    assert len(several.change_source) == 2
    assert nothing.change_source == []


def test_services_may_be_unnamed_but_names_are_unique(tmp_path: Path) -> None:
    error = one_error(
        tmp_path,
        cfg(
            "named = SimpleNamespace(name='m')\n"
            "c['services'] = [SimpleNamespace(), named, SimpleNamespace(name='m')]"
        ),
    )

    assert error.message.startswith("duplicate service name 'm'")


def test_config_objects_check_themselves_and_report_every_problem(tmp_path: Path) -> None:
    errors = errors_of(tmp_path, cfg("c['services'] = [\n    FussyService('s'),\n]"))

    assert [(e.message, e.lineno, e.key) for e in errors] == [
        ("first problem", 7, "services"),
        ("second problem", 7, "services"),
    ]


def test_a_check_that_crashes_is_reported_as_an_error(tmp_path: Path) -> None:
    error = one_error(tmp_path, cfg("c['services'] = [BrokenCheckService('s')]"))

    assert error.message == "checking BrokenCheckService raised RuntimeError: bug in the check"
    assert error.lineno == 6


def test_configurators_add_to_the_config_before_it_is_checked(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        cfg(
            """
c['configurators'] = [AddWorkerConfigurator("added")]
c['builders'] = [Builder("b", ["added"])]
"""
        ),
    )

    assert [w.name for w in config.workers] == ["added"]
    assert len(config.configurators) == 1


def test_objects_a_configurator_adds_are_checked_like_the_others(tmp_path: Path) -> None:
    error = one_error(tmp_path, cfg("c['configurators'] = [AddWorkerConfigurator(None)]"))

    assert error.key == "workers"
    assert "needs a non-empty str 'name'" in error.message


def test_a_configurator_that_raises_is_an_error(tmp_path: Path) -> None:
    error = one_error(
        tmp_path,
        cfg(
            """
class Boom:
    def configure(self, config_dict):
        raise ValueError("nope")
c['configurators'] = [Boom()]
"""
        ),
    )

    assert (error.key, error.lineno) == ("configurators", 9)
    assert error.message == "Boom.configure() raised ValueError: nope"
