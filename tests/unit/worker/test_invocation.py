"""How shell arguments become an argv, an environment, a header and signals."""

from __future__ import annotations

import os
import signal

import pytest

from marid_worker.commands.invocation import (
    build_argv,
    describe,
    merge_environment,
    signal_number,
    substitute,
)


def test_a_string_command_runs_through_the_shell() -> None:
    argv = build_argv("make -j2 && echo done")
    assert argv.real == ["/bin/sh", "-c", "make -j2 && echo done"]
    assert argv.display == "make -j2 && echo done"


def test_a_list_command_is_the_argv_and_obfuscated_items_are_hidden_when_shown() -> None:
    argv = build_argv(
        ["git", "clone", ("obfuscated", "https://u:secret@h/r", "https://u:XXX@h/r"), "a b"]
    )
    assert argv.real == ["git", "clone", "https://u:secret@h/r", "a b"]
    assert argv.shown == ["git", "clone", "https://u:XXX@h/r", "a b"]
    assert argv.display == "git clone https://u:XXX@h/r 'a b'"
    assert "secret" not in argv.display


def test_argv_items_that_are_not_strings_are_made_strings() -> None:
    assert build_argv(["sleep", 3, b"bytes"]).real == ["sleep", "3", "bytes"]


@pytest.mark.parametrize("command", [[], 42, None])
def test_bad_commands_are_refused(command: object) -> None:
    with pytest.raises(ValueError):
        build_argv(command)


def test_environment_none_deletes_list_joins_and_variables_are_substituted() -> None:
    worker = {"PATH": "/usr/bin:/bin", "HOME": "/root", "KEEP": "1"}
    env = merge_environment(
        worker,
        {"HOME": None, "PATH": ["/opt/bin", "${PATH}"], "GREETING": "hi ${HOME}${NOPE}!"},
        "/w/build",
    )
    assert "HOME" not in env
    assert env["PATH"] == os.pathsep.join(["/opt/bin", "/usr/bin:/bin"])
    assert env["GREETING"] == "hi /root!"
    assert env["KEEP"] == "1"
    assert env["PWD"] == "/w/build"


def test_pythonpath_goes_in_front_of_the_workers_own() -> None:
    assert merge_environment({"PYTHONPATH": "/lib"}, {"PYTHONPATH": "/src"}, "/w")[
        "PYTHONPATH"
    ] == os.pathsep.join(["/src", "/lib"])
    assert merge_environment({}, {"PYTHONPATH": "/src"}, "/w")["PYTHONPATH"] == "/src"


def test_substitute_leaves_text_without_variables_alone() -> None:
    assert substitute("a $B ${C", {"B": "x"}) == "a $B ${C"


def test_header_names_dir_timeouts_logfiles_argv_environment_stdin_and_pty() -> None:
    header = describe(
        build_argv(["echo", ("obfuscated", "s3cret", "***")]),
        workdir="/w/b1/build",
        timeout=1,
        max_time=30,
        logfiles={"test": "test.log"},
        environment={"B": "2", "A": "1"},
        stdin_size=7,
        use_pty=False,
    )
    assert header.splitlines() == [
        "echo '***'",
        " in dir /w/b1/build (timeout 1 sec) (maxTime 30 secs)",
        " watching logfiles {'test': 'test.log'}",
        " argv: ['echo', '***']",
        " environment:",
        "  A=1",
        "  B=2",
        " writing 7 bytes to stdin",
        " using PTY: False",
    ]
    assert "s3cret" not in header


def test_header_without_timeouts_environment_or_stdin() -> None:
    header = describe(
        build_argv("true"),
        workdir="/w",
        timeout=None,
        max_time=None,
        logfiles={},
        environment=None,
        stdin_size=None,
        use_pty=True,
    )
    assert header.splitlines() == [
        "true",
        " in dir /w",
        " watching logfiles {}",
        " argv: ['/bin/sh', '-c', 'true']",
        " using PTY: True",
    ]


@pytest.mark.parametrize(
    ("name", "number"),
    [
        ("TERM", signal.SIGTERM),
        ("SIGINT", signal.SIGINT),
        ("kill", signal.SIGKILL),
        ("15", 15),
        (9, 9),
        (None, signal.SIGKILL),
    ],
)
def test_signal_names_and_numbers(name: str | int | None, number: int) -> None:
    assert signal_number(name) == number


def test_an_unknown_signal_is_an_error() -> None:
    with pytest.raises(ValueError):
        signal_number("NOPE")
