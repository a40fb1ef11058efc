"""MasterShellCommand's pure parts: the argv of a command and the environment it gets."""

from __future__ import annotations

import os

from marid.config.errors import ErrorCollector
from marid.plugins import steps
from marid.steps.master_shell import command_argv, merge_environment


def test_a_string_runs_through_the_shell_and_nested_lists_are_flattened() -> None:
    assert command_argv("make all") == ["/bin/sh", "-c", "make all"]
    assert command_argv(["make", ["-j", 2], "all"]) == ["make", "-j", "2", "all"]


def test_environment_changes_join_lists_substitute_and_remove() -> None:
    base = {"HOME": "/root", "PATH": "/bin", "DROP": "x"}
    env = merge_environment(
        base, {"PATH": ["/opt/bin", "${PATH}"], "DROP": None, "GREETING": "hi ${NOPE}${HOME}"}
    )
    assert env == {"HOME": "/root", "PATH": f"/opt/bin{os.pathsep}/bin", "GREETING": "hi /root"}
    assert base["DROP"] == "x"


def test_config_errors() -> None:
    errors = ErrorCollector("master.cfg")
    steps.MasterShellCommand().check_config(errors)
    steps.MasterShellCommand(command=3).check_config(errors)
    assert [e.message for e in errors.errors] == [
        "MasterShellCommand 'MasterShellCommand': command is required",
        "MasterShellCommand 'MasterShellCommand': command must be a string or a list, not int",
    ]
