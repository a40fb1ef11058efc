"""Loading ``master.cfg``: isolation, helper modules, and where each error points."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from marid.config.errors import ConfigError, ConfigErrors
from marid.config.loader import format_errors, load_config
from marid.config.master_config import MasterConfig
from tests.unit.config.configs import errors_of, load, one_error, write

SAMPLE = """
    from marid.plugins import util
    from tests.unit.config.fakes import Builder, Scheduler, Worker

    c = BuildmasterConfig = {}
    c['title'] = "Sample"
    c['titleURL'] = "https://example.org/"
    c['buildbotURL'] = "http://localhost:8010"
    c['workers'] = [Worker("w1", "secret")]
    c['protocols'] = {'pb': {'port': "tcp:9989:interface=127.0.0.1"}}
    c['builders'] = [Builder("runtests", workernames=["w1"])]
    c['schedulers'] = [Scheduler("all", builderNames=["runtests"])]
    c['change_source'] = []
    c['www'] = {'port': 8010}
    c['db'] = {'db_url': "sqlite:///state.sqlite"}
    c['buildbotNetUsageData'] = None
"""


def test_sample_like_config_loads_with_normalised_values(tmp_path: Path) -> None:
    config = load(tmp_path, SAMPLE)

    assert config.basedir == str(tmp_path)
    assert config.config_file == str(tmp_path / "master.cfg")
    assert config.title == "Sample"
    assert config.title_url == "https://example.org/"
    assert config.buildbot_url == "http://localhost:8010/"
    assert [w.name for w in config.workers] == ["w1"]
    assert [b.name for b in config.builders] == ["runtests"]
    assert config.pb_port == "tcp:9989:interface=127.0.0.1"
    assert config.www_port == "tcp:8010:interface=127.0.0.1"
    assert config.db_url == "sqlite:///state.sqlite"
    assert config.mq.type == "simple"


def test_empty_config_gives_the_defaults(tmp_path: Path) -> None:
    config = load(tmp_path, "BuildmasterConfig = {}\n")

    assert config == MasterConfig.defaults(str(tmp_path))
    assert config.pb_port == "tcp:9989:interface=127.0.0.1"
    assert config.www_port == "tcp:8010:interface=127.0.0.1"
    assert config.db_url == "sqlite:///state.sqlite"


def test_path_may_name_the_config_file_itself(tmp_path: Path) -> None:
    path = write(tmp_path, "BuildmasterConfig = {'title': 'other'}\n", name="other.cfg")

    config = load_config(path)

    assert config.title == "other"
    assert config.config_file == str(path)
    assert config.basedir == str(tmp_path)


def test_three_mistakes_are_all_reported_with_their_lines(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        """
        c = BuildmasterConfig = {}
        c['title'] = 42
        c['workers'] = []
        c['logCompressionLimit'] = "big"
        c['tittle'] = "typo"
        """,
    )

    assert [(e.lineno, e.key) for e in errors] == [
        (2, "title"),
        (4, "logCompressionLimit"),
        (5, "tittle"),
    ]
    assert all(e.filename == str(tmp_path / "master.cfg") for e in errors)
    assert str(errors[0]) == f"{tmp_path / 'master.cfg'}:2: c['title']: must be a str, not int"


def test_syntax_error_reports_its_line(tmp_path: Path) -> None:
    error = one_error(tmp_path, "c = BuildmasterConfig = {}\nc['title'] = 'a'\n\nx = ]\n")

    assert (error.filename, error.lineno) == (str(tmp_path / "master.cfg"), 4)
    assert error.message == "syntax error: unmatched ']'"


def test_exception_while_running_reports_the_line_that_raised(tmp_path: Path) -> None:
    error = one_error(
        tmp_path,
        """
        c = BuildmasterConfig = {}
        names = {}
        c['title'] = names['missing']
        """,
    )

    assert (error.filename, error.lineno) == (str(tmp_path / "master.cfg"), 3)
    assert error.message == "KeyError: 'missing'"


def test_exception_in_a_library_points_at_the_config_line_that_called_it(tmp_path: Path) -> None:
    error = one_error(tmp_path, "import json\n\njson.loads('{')\nBuildmasterConfig = {}\n")

    assert error.lineno == 3
    assert error.message.startswith("JSONDecodeError")


def test_exception_in_a_helper_module_points_into_the_helper(tmp_path: Path) -> None:
    write(tmp_path, "def make():\n    return 1 / 0\n", name="helper_raises.py")

    error = one_error(
        tmp_path, "import helper_raises\nBuildmasterConfig = {'title': helper_raises.make()}\n"
    )

    assert (error.filename, error.lineno) == (str(tmp_path / "helper_raises.py"), 2)
    assert error.message == "ZeroDivisionError: division by zero"


def test_syntax_error_in_a_helper_module_points_into_the_helper(tmp_path: Path) -> None:
    write(tmp_path, "x = 1\ndef broken(:\n", name="helper_syntax.py")

    error = one_error(tmp_path, "import helper_syntax\nBuildmasterConfig = {}\n")

    assert (error.filename, error.lineno) == (str(tmp_path / "helper_syntax.py"), 2)
    assert error.message.startswith("syntax error")


def test_missing_file_is_one_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigErrors) as raised:
        load_config(tmp_path)

    [error] = raised.value.errors
    assert error.filename == str(tmp_path / "master.cfg")
    assert "not found" in error.message


def test_missing_buildmaster_config_is_one_error(tmp_path: Path) -> None:
    error = one_error(tmp_path, "c = {}\n")

    assert "does not define BuildmasterConfig" in error.message
    assert error.lineno is None


def test_buildmaster_config_that_is_not_a_dict_points_at_its_binding(tmp_path: Path) -> None:
    error = one_error(tmp_path, "x = 1\nBuildmasterConfig = [('title', 'x')]\n")

    assert error.lineno == 2
    assert error.message == "BuildmasterConfig must be a dict, not list"


def test_config_runs_in_fresh_globals_with_file_and_basedir(tmp_path: Path) -> None:
    config = load(tmp_path, "BuildmasterConfig = {'title': __file__ + '|' + basedir}\n")

    assert config.title == f"{tmp_path / 'master.cfg'}|{tmp_path}"
    leak = one_error(tmp_path, "BuildmasterConfig = {}\nBuildmasterConfig['title'] = leftover\n")
    assert leak.message == "NameError: name 'leftover' is not defined"


def test_helper_modules_are_read_again_on_the_next_load(tmp_path: Path) -> None:
    write(tmp_path, "TITLE = 'first'\n", name="helper_reread.py")
    write(tmp_path, "from helper_reread import TITLE\nBuildmasterConfig = {'title': TITLE}\n")
    assert load_config(tmp_path).title == "first"
    assert "helper_reread" not in sys.modules

    write(tmp_path, "TITLE = 'second'\n", name="helper_reread.py")

    assert load_config(tmp_path).title == "second"


def test_helper_packages_are_forgotten_too(tmp_path: Path) -> None:
    write(tmp_path, "", name="helperpkg/__init__.py")
    write(tmp_path, "VALUE = 'pkg'\n", name="helperpkg/values.py")

    config = load(
        tmp_path, "from helperpkg.values import VALUE\nBuildmasterConfig = {'title': VALUE}\n"
    )

    assert config.title == "pkg"
    assert not [name for name in sys.modules if name.startswith("helperpkg")]


def test_sys_path_is_restored_after_success_and_failure(tmp_path: Path) -> None:
    before = list(sys.path)
    load(tmp_path, "BuildmasterConfig = {}\n")
    assert sys.path == before

    errors_of(tmp_path, "raise RuntimeError('no')\n")
    assert sys.path == before


def test_sys_exit_in_the_config_is_an_error_not_an_exit(tmp_path: Path) -> None:
    error = one_error(tmp_path, "import sys\nsys.exit(3)\n")

    assert error.lineno == 2
    assert "sys.exit()" in error.message


def test_config_errors_raised_by_config_code_keep_their_messages(tmp_path: Path) -> None:
    text = """
        from marid.config.errors import ConfigError, ConfigErrors
        raise ConfigErrors([ConfigError("first"), ConfigError("second")])
    """
    errors = errors_of(tmp_path, text)

    assert [(e.message, e.lineno) for e in errors] == [("first", 2), ("second", 2)]


def test_format_errors_lists_each_error_with_its_source_line(tmp_path: Path) -> None:
    write(tmp_path, "c = BuildmasterConfig = {}\nc['title'] = 42\nc['tittle'] = 'x'\n")
    with pytest.raises(ConfigErrors) as raised:
        load_config(tmp_path)

    text = format_errors(raised.value)

    assert text.splitlines() == [
        "2 configuration errors:",
        f"  {tmp_path / 'master.cfg'}:2: c['title']: must be a str, not int",
        "      c['title'] = 42",
        f"  {tmp_path / 'master.cfg'}:3: c['tittle']: unknown key (did you mean 'title'?)",
        "      c['tittle'] = 'x'",
    ]


def test_format_errors_copes_with_errors_without_a_place() -> None:
    text = format_errors(ConfigErrors([ConfigError("something is off")]))

    assert text == "1 configuration error:\n  something is off"


def test_shipped_template_loads(tmp_path: Path) -> None:
    from importlib import resources

    template = resources.files("marid.scripts").joinpath("templates/master.cfg")
    if not template.is_file():
        pytest.skip("no master.cfg template yet")
    text = template.read_text("utf-8").replace("@DB_URL@", "sqlite:///state.sqlite")
    (tmp_path / "master.cfg").write_text(text, encoding="utf-8")

    config = load_config(tmp_path)

    assert config.pb_port == "tcp:9989:interface=127.0.0.1"
    assert config.www_port == "tcp:8010:interface=127.0.0.1"
