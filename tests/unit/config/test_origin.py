"""Config objects remember where they were built; errors point there."""

from __future__ import annotations

import inspect

from marid.config.errors import ConfigError, ConfigErrors, ErrorCollector
from marid.config.origin import ConfigObject, Origin, caller_origin, origin_of


class Thing(ConfigObject):
    def __init__(self, name: str) -> None:
        self.name = name


def here() -> int:
    frame = inspect.currentframe()
    assert frame is not None and frame.f_back is not None
    return frame.f_back.f_lineno


def test_construction_records_the_callers_file_and_line() -> None:
    thing, line = Thing("a"), here()

    assert thing.config_origin == Origin(__file__, line)
    assert origin_of(thing) == thing.config_origin


def test_subclasses_need_not_call_the_base_initialiser() -> None:
    class Bare(ConfigObject):
        def __init__(self) -> None:
            pass

    assert Bare().config_origin is not None


def test_plain_objects_have_no_origin() -> None:
    assert origin_of(object()) is None


def test_caller_origin_skips_nothing_outside_marid() -> None:
    origin, line = caller_origin(), here()

    assert origin == Origin(__file__, line)


def test_collector_prefers_origin_then_key_line_then_file() -> None:
    errors = ErrorCollector("/m/master.cfg", {"workers": 3})
    thing = Thing("a")
    assert thing.config_origin is not None

    errors.add("about the object", key="workers", about=thing)
    errors.add("about the key", key="workers")
    errors.add("about an unset key", key="title")
    errors.add("explicit", filename="/m/helper.py", lineno=9)

    assert [(e.filename, e.lineno) for e in errors.errors] == [
        (thing.config_origin.filename, thing.config_origin.lineno),
        ("/m/master.cfg", 3),
        ("/m/master.cfg", None),
        ("/m/helper.py", 9),
    ]


def test_error_text_reads_file_line_key_message() -> None:
    assert str(ConfigError("must be a str, not int", "/m/master.cfg", 12, "title")) == (
        "/m/master.cfg:12: c['title']: must be a str, not int"
    )
    assert str(ConfigError("oops", "/m/master.cfg")) == "/m/master.cfg: oops"
    assert str(ConfigError("oops")) == "oops"


def test_config_errors_holds_every_error() -> None:
    raised = ConfigErrors([ConfigError("a"), ConfigError("b")])

    assert [e.message for e in raised.errors] == ["a", "b"]
    assert str(raised) == "a\nb"


def test_collector_adopts_errors_and_places_the_unplaced_ones() -> None:
    errors = ErrorCollector("/m/master.cfg", {"www": 7})

    errors.extend([ConfigError("placed", "/m/other.py", 2, "www"), ConfigError("bare", key="www")])

    assert [(e.message, e.filename, e.lineno) for e in errors.errors] == [
        ("placed", "/m/other.py", 2),
        ("bare", "/m/master.cfg", 7),
    ]
