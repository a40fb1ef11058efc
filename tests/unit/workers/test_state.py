"""Builder lists per worker, safe builder directories, and the link state machine."""

from __future__ import annotations

import pytest

from marid.workers.config import Worker
from marid.workers.state import (
    IllegalTransition,
    LinkState,
    WorkerRecord,
    builder_lists,
    safe_builddir,
)
from tests.unit.workers.conftest import Builder


def test_builder_names_become_one_safe_directory() -> None:
    assert safe_builddir("linux-x86_64.gcc") == "linux-x86_64.gcc"
    assert safe_builddir("a b/c:d") == "a_b_c_d"
    assert safe_builddir("..") == "_.."
    assert safe_builddir("") == "_"


def test_builder_lists_follow_workernames_workername_and_builddirs() -> None:
    class Single:
        name = "single"
        workername = "w2"
        workerbuilddir = "wbd"
        builddir = "ignored-on-the-worker"

    lists = builder_lists(
        [Builder("a", ["w1", "w2", "w1"]), Builder("b", ["w1"], builddir="bee"), Single()]
    )

    assert lists == {"w1": [("a", "a"), ("b", "bee")], "w2": [("a", "a"), ("single", "wbd")]}


def test_the_link_state_machine_refuses_moves_it_does_not_have() -> None:
    record = WorkerRecord("w1", Worker("w1", "p"))
    record.move_to(LinkState.ATTACHING)
    record.move_to(LinkState.CONNECTED)

    with pytest.raises(IllegalTransition):
        record.move_to(LinkState.ATTACHING)
