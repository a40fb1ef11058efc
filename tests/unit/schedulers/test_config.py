"""Scheduler arguments are checked at load time, every mistake at the line that made it."""

from __future__ import annotations

from pathlib import Path

from tests.unit.config.configs import errors_of, load

HEADER = """\
from types import SimpleNamespace
from marid.plugins import schedulers, util
c = BuildmasterConfig = {}
c['builders'] = [SimpleNamespace(name='hello'), SimpleNamespace(name='other')]
"""  # four lines: bodies start on line 5


def cfg(body: str) -> str:
    return HEADER + body.strip("\n") + "\n"


def test_a_good_force_and_triggerable_config_loads(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        cfg(
            """
c['schedulers'] = [
    schedulers.ForceScheduler(
        "force", ["hello", "other"],
        codebases=["", util.CodebaseParameter("lib", branch=util.ChoiceStringParameter(
            "branch", choices=["main", "dev"], default="main"))],
        properties=[util.NestedParameter("opts", [util.BooleanParameter("clean")]),
                    util.AnyPropertyParameter("extra"), util.WorkerChoiceParameter()],
    ),
    schedulers.Triggerable("deploy", ["other"], properties={"stage": util.Property("x")},
                           codebases={"lib": {"branch": "main"}}, priority=5),
]
"""
        ),
    )

    assert [s.name for s in config.schedulers] == ["force", "deploy"]


def test_force_scheduler_mistakes_are_reported_together_at_their_lines(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        cfg(
            """
c['schedulers'] = [
    schedulers.ForceScheduler("bad name", "hello", codebases=[]),
    schedulers.ForceScheduler("f2", ["hello"], reasonString="%(who)s", buttonNmae="go"),
    schedulers.ForceScheduler("f3", ["hello"], properties=[
        util.StringParameter("owner"),
        util.StringParameter("x", regex="("),
        util.NestedParameter("n", [util.IntParameter("i")], columns=7),
        util.IntParameter("n_i"),
    ]),
]
"""
        ),
    )

    found = [(e.lineno, e.message) for e in errors]
    assert found == [
        (6, "ForceScheduler 'bad name': the name must be an identifier (letters, digits, "
            "'_', '.', '-'; not starting with a digit or '-')"),
        (6, "ForceScheduler 'bad name': builderNames must be a list of builder names, "
            "not 'hello'"),
        (6, "ForceScheduler 'bad name': codebases cannot be empty; to hide the only one, use "
            "[util.CodebaseParameter(codebase='', hide=True)]"),
        (7, "ForceScheduler 'f2': unknown argument 'buttonNmae' (did you mean 'buttonName'?)"),
        (7, "ForceScheduler 'f2': reasonString may only use %(owner)s and %(reason)s "
            "(KeyError('who'))"),
        (9, "StringParameter 'owner': 'owner' is reserved; choose another name"),
        (10, "StringParameter 'x': regex '(' does not compile: missing ), unterminated "
             "subpattern at position 0"),
        (11, "NestedParameter 'n': columns must be 1, 2, 3 or 4, not 7"),
        (12, "ForceScheduler 'f3': two fields are named 'n_i'"),
    ]  # fmt: skip


def test_triggerable_arguments_are_checked(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        cfg(
            """
c['schedulers'] = [
    schedulers.Triggerable("t", [], properties={"x": object()}, codebases={"lib": {"brnch": 1}},
                           priority="high"),
    schedulers.Triggerable("u", ["nope"]),
]
"""
        ),
    )

    messages = [e.message for e in errors]
    assert messages[0] == "Triggerable 't': builderNames is empty; name at least one builder"
    assert messages[1].startswith("Triggerable 't': property 'x' from 'Scheduler': object value")
    assert messages[2:] == [
        "Triggerable 't': codebase 'lib' must be a dict with keys among "
        "['branch', 'project', 'repository', 'revision'], not {'brnch': 1}",
        "Triggerable 't': priority must be an int or a function, not str",
        "scheduler 'u' triggers unknown builder 'nope'",
    ]
