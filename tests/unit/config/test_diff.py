"""Reconfig diffing: which sections changed, and which changes wait for a restart."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from marid.config.diff import changed_keys, changed_sections, restart_required, same_value
from marid.config.master_config import MasterConfig, MqConfig
from tests.unit.config.configs import load
from tests.unit.config.fakes import Builder, Worker

CONFIG = """
from tests.unit.config.fakes import Builder, Worker
c = BuildmasterConfig = {}
def collapse(master, builder, req1, req2):
    return req1 == req2
c['collapseRequests'] = collapse
c['workers'] = [Worker("w1")]
c['builders'] = [Builder("b", ["w1"], factory={"steps": []})]
c['www'] = {'port': 8010}
"""


def base() -> MasterConfig:
    return MasterConfig.defaults("/srv/master")


def test_reading_the_same_config_twice_changes_nothing(tmp_path: Path) -> None:
    first = load(tmp_path, CONFIG)
    second = load(tmp_path, CONFIG)

    assert first.workers[0] is not second.workers[0]
    assert changed_sections(first, second) == set()
    assert restart_required(first, second) == []


def test_moving_lines_around_is_not_a_change(tmp_path: Path) -> None:
    first = load(tmp_path, CONFIG)
    second = load(tmp_path, "\n\n# moved\n" + CONFIG)

    assert first.workers[0].config_origin != second.workers[0].config_origin
    assert changed_sections(first, second) == set()


def test_editing_a_function_changes_its_section(tmp_path: Path) -> None:
    first = load(tmp_path, CONFIG)
    second = load(tmp_path, CONFIG.replace("req1 == req2", "False"))

    assert changed_sections(first, second) == {"builders"}


def test_each_setting_maps_to_its_section() -> None:
    old = base()
    cases = {
        "title": dataclasses.replace(old, title="New"),
        "www": dataclasses.replace(old, www=dataclasses.replace(old.www, port="tcp:8011")),
        "protocols": dataclasses.replace(old, pb_port="tcp:9990"),
        "workers": dataclasses.replace(old, workers=[Worker("w2")]),
        "builders": dataclasses.replace(old, builders=[Builder("b")]),
        "logs": dataclasses.replace(old, log_compression="zlib"),
        "db": dataclasses.replace(old, db_url="sqlite:///other.sqlite"),
        "mq": dataclasses.replace(old, mq=MqConfig(type="redis")),
    }

    for section, new in cases.items():
        assert changed_sections(old, new) == {section}, section


def test_changing_a_config_object_attribute_is_a_change() -> None:
    old = dataclasses.replace(base(), workers=[Worker("w1", "old")])
    new = dataclasses.replace(base(), workers=[Worker("w1", "new")])

    assert changed_sections(old, new) == {"workers"}


def test_where_the_config_lives_is_not_a_setting() -> None:
    assert changed_sections(base(), MasterConfig.defaults("/elsewhere")) == set()


def test_database_and_mq_changes_need_a_restart_and_hide_passwords() -> None:
    old = base()
    new = dataclasses.replace(
        old,
        db_url="postgresql://marid:hunter2@db/marid",
        mq=MqConfig(type="redis", redis_url="redis://:s3cret@cache:6379/0"),
        title="also changed",
    )

    messages = restart_required(old, new)

    assert len(messages) == 2
    assert messages[0] == (
        "c['db']['db_url'] changed from 'sqlite:///state.sqlite' "
        "to 'postgresql://marid:***@db/marid'"
    )
    assert messages[1].startswith("c['mq'] changed from")
    assert "s3cret" not in messages[1] and "hunter2" not in "".join(messages)


def test_values_compare_by_type_and_content() -> None:
    class Plain:
        def __init__(self, value: object) -> None:
            self.value = value

    assert same_value(Plain([1, {"a": 2}]), Plain([1, {"a": 2}]))
    assert not same_value(Plain(1), Plain(2))
    assert not same_value(1, True)
    assert not same_value([1], (1,))
    assert not same_value(object(), object())


def test_cyclic_objects_compare_without_recursing_forever() -> None:
    class Node:
        def __init__(self) -> None:
            self.other: object = None

    a, b = Node(), Node()
    a.other, b.other = a, b

    assert same_value(a, b)


def test_closures_compare_by_their_captured_values() -> None:
    def make(value: int) -> object:
        return lambda: value

    assert same_value(make(1), make(1))
    assert not same_value(make(1), make(2))


def test_every_setting_belongs_to_a_section() -> None:
    from marid.config.diff import NON_SETTING_FIELDS, SECTION_OF_FIELD

    names = {f.name for f in dataclasses.fields(MasterConfig)}

    assert names == set(SECTION_OF_FIELD) | NON_SETTING_FIELDS


def test_changes_are_named_by_the_keys_master_cfg_sets() -> None:
    old = base()

    assert changed_keys(old, dataclasses.replace(old, buildbot_url="http://ci/")) == ["buildbotURL"]
    assert changed_keys(old, dataclasses.replace(old, title_url="http://x/", title="T")) == [
        "title",
        "titleURL",
    ]
    assert changed_keys(old, dataclasses.replace(old, log_compression="zlib")) == [
        "logCompressionMethod"
    ]
    assert changed_keys(old, dataclasses.replace(old, pb_port="tcp:1", protocols={})) == [
        "protocols"
    ]
    assert changed_keys(old, MasterConfig.defaults("/elsewhere")) == []


def test_every_setting_is_named_by_a_known_key() -> None:
    from marid.config.checks import KNOWN_KEYS
    from marid.config.diff import KEY_OF_FIELD

    assert set(KEY_OF_FIELD.values()) <= KNOWN_KEYS


def test_runtime_attributes_of_config_objects_are_not_compared() -> None:
    from marid.config.origin import ConfigObject

    class Service(ConfigObject):
        runtime_attributes = frozenset({"running"})

        def __init__(self, name: str) -> None:
            self.name = name
            self.running = False

    class Reporter(Service):
        runtime_attributes = frozenset({"parent"})

        def __init__(self, name: str) -> None:
            super().__init__(name)
            self.parent: object = None

    live, fresh = Reporter("mail"), Reporter("mail")
    live.running, live.parent = True, object()

    assert same_value(live, fresh)
    assert not same_value(live, Reporter("irc"))
