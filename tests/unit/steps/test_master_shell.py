"""MasterShellCommand's pure parts: the argv of a command and the environment it gets."""

from __future__ import annotations

import os

from marid.config.errors import ErrorCollector
from marid.plugins import steps, util
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
    steps.MasterShellCommand(command="true", maxTime=5, runtime_timeout=5).check_config(errors)
    steps.MasterShellCommand(command="true", runtime_timeout="soon").check_config(errors)
    steps.MasterShellCommand(command="true", interruptSignal="NOPE").check_config(errors)
    steps.MasterShellCommand(command="true", timeout=-1).check_config(errors)
    for fine in ("TERM", "SIGINT", 15, util.Property("sig")):
        steps.MasterShellCommand(command="true", interruptSignal=fine).check_config(errors)
    name = "MasterShellCommand 'MasterShellCommand'"
    assert [e.message for e in errors.errors] == [
        f"{name}: command is required",
        f"{name}: command must be a string or a list, not int",
        f"{name}: give maxTime or runtime_timeout (its Buildbot name), not both",
        f"{name}: runtime_timeout must be a number of seconds, not 'soon'",
        f"{name}: interruptSignal must name a signal (such as 'TERM' or 9), not 'NOPE'",
        f"{name}: timeout must be a number of seconds (or lines) or None, not -1",
    ]
    assert all(e.filename == __file__ and e.lineno for e in errors.errors)
