"""The ``marid.plugins`` namespaces: lazy names and clear errors for names that do not exist."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from marid.plugins._registry import Namespace


def test_the_buildbot_namespaces_import() -> None:
    from marid.plugins import changes, reporters, schedulers, secrets, steps, util, worker

    names = [m.__name__ for m in (worker, steps, schedulers, changes, util, reporters, secrets)]
    assert names == [
        "marid.plugins.worker",
        "marid.plugins.steps",
        "marid.plugins.schedulers",
        "marid.plugins.changes",
        "marid.plugins.util",
        "marid.plugins.reporters",
        "marid.plugins.secrets",
    ]


def test_a_missing_name_raises_a_clear_attribute_error() -> None:
    from marid.plugins import worker

    with pytest.raises(AttributeError, match=r"marid.plugins.worker has no 'NoSuchWorker' \(avail"):
        worker.NoSuchWorker  # noqa: B018 - the access is the test


def test_from_import_of_a_missing_name_is_an_import_error() -> None:
    with pytest.raises(ImportError, match="NoSuchStep"):
        from marid.plugins.steps import NoSuchStep  # noqa: F401


def test_names_resolve_lazily_from_module_attribute_targets() -> None:
    namespace = Namespace("marid.plugins.example", {"dumps": "json:dumps"}, "marid.example")

    assert namespace.resolve("dumps") is json.dumps
    assert namespace.names() == ["dumps"]


def test_registered_objects_and_dotted_targets() -> None:
    namespace = Namespace("marid.plugins.example", {}, "marid.example")
    sentinel = object()
    namespace.register("Thing", sentinel)
    namespace.register("Decoder", "json:JSONDecoder.decode")

    assert namespace.resolve("Thing") is sentinel
    assert namespace.resolve("Decoder") is json.JSONDecoder.decode
    with pytest.raises(AttributeError, match=r"available: Decoder, Thing\)"):
        namespace.resolve("Other")


def test_registering_an_invalid_name_is_refused() -> None:
    with pytest.raises(ValueError, match="not a valid name"):
        Namespace("marid.plugins.example", {}, "marid.example").register("not a name", 1)


def test_a_target_whose_module_is_missing_says_which_name_needed_it() -> None:
    namespace = Namespace("marid.plugins.example", {"Gone": "no_such_module_xyz:Gone"}, "g")

    with pytest.raises(ImportError) as raised:
        namespace.resolve("Gone")

    assert "marid.plugins.example.Gone needs 'no_such_module_xyz'" in raised.value.__notes__[0]


def test_installed_packages_add_names_through_entry_points(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dist = tmp_path / "marid_extra-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: marid-extra\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[marid.example]\nLoads = json:loads\n")
    monkeypatch.syspath_prepend(str(tmp_path))

    namespace = Namespace("marid.plugins.example", {}, "marid.example")

    assert namespace.resolve("Loads") is json.loads
    assert "Loads" in namespace.names()
