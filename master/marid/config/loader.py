"""Load ``master.cfg``: execute it in isolation, then validate what it defines.

``load_config`` either returns a complete ``MasterConfig`` or raises
``ConfigErrors`` listing every problem, each with its file and line. It has
no effect on a running master: a failed reconfig leaves nothing behind.

Isolation, and why:
- the file runs in fresh globals (``__file__``, ``basedir``), so nothing leaks
  from one load into the next;
- the master directory is first on ``sys.path`` only while the file runs, so
  the config can import its own helper modules;
- helper modules imported from the master directory are dropped from
  ``sys.modules`` afterwards, so a reconfig reads their new text.

A missing file, a syntax error or an exception while the file runs is one
error (nothing after it could be trusted); otherwise every key is checked.
"""

from __future__ import annotations

import os
import sys
import traceback
from collections.abc import Iterable
from dataclasses import replace
from types import CodeType, FrameType, ModuleType, TracebackType

from marid.config.checks import validate
from marid.config.errors import ConfigError, ConfigErrors, ErrorCollector
from marid.config.keylines import CONFIG_NAME, scan_config
from marid.config.master_config import MasterConfig

CONFIG_FILENAME = "master.cfg"
_LIBRARY_DIRS = {"site-packages", "dist-packages"}


def resolve_config_path(path: str | os.PathLike[str]) -> tuple[str, str]:
    """``(config_file, basedir)`` for a master directory or a config file path."""
    config_file = os.path.abspath(os.fspath(path))
    if os.path.isdir(config_file):
        config_file = os.path.join(config_file, CONFIG_FILENAME)
    return config_file, os.path.dirname(config_file)


def load_config(path: str | os.PathLike[str]) -> MasterConfig:
    """Load and validate the config at ``path`` (a master directory or a config file)."""
    config_file, basedir = resolve_config_path(path)
    try:
        with open(config_file, "rb") as handle:
            source = handle.read()
    except OSError as error:
        reason = "not found" if isinstance(error, FileNotFoundError) else error.strerror
        message = f"cannot read the config file: {reason}"
        raise ConfigErrors([ConfigError(message, config_file)]) from None
    try:
        code = compile(source, config_file, "exec", dont_inherit=True)
        scan = scan_config(source, config_file)
    except SyntaxError as error:
        raise ConfigErrors([_syntax_error(error, config_file)]) from None
    namespace = _execute(code, config_file, basedir)

    if CONFIG_NAME not in namespace:
        message = f"does not define {CONFIG_NAME} (write: {CONFIG_NAME} = c = {{}})"
        raise ConfigErrors([ConfigError(message, config_file)])
    config_dict = namespace[CONFIG_NAME]
    if not isinstance(config_dict, dict):
        message = f"{CONFIG_NAME} must be a dict, not {type(config_dict).__name__}"
        raise ConfigErrors([ConfigError(message, config_file, scan.config_line)])

    errors = ErrorCollector(config_file, scan.lines)
    config = validate(config_dict, errors, basedir, config_file)
    if errors.errors:
        raise ConfigErrors(_in_file_order(errors.errors, config_file))
    return config


def _execute(code: CodeType, config_file: str, basedir: str) -> dict[str, object]:
    namespace: dict[str, object] = {
        "__name__": "__marid_config__",
        "__file__": config_file,
        "basedir": basedir,
    }
    modules_before = set(sys.modules)
    sys.path.insert(0, basedir)
    try:
        exec(code, namespace)
    except ConfigErrors as raised:
        # A config object may raise its own errors; unplaced ones point where it was built.
        filename, lineno = _user_frame(raised.__traceback__, config_file, basedir)
        placed = [
            error if error.filename else replace(error, filename=filename, lineno=lineno)
            for error in raised.errors
        ]
        raise ConfigErrors(placed) from raised
    except (Exception, SystemExit) as raised:
        raise ConfigErrors([_exception_error(raised, config_file, basedir)]) from raised
    finally:
        if basedir in sys.path:
            sys.path.remove(basedir)
        _forget_modules(set(sys.modules) - modules_before, basedir)
    return namespace


def _syntax_error(error: SyntaxError, config_file: str) -> ConfigError:
    return ConfigError(f"syntax error: {error.msg}", error.filename or config_file, error.lineno)


def _is_user_file(filename: str, config_file: str, basedir: str) -> bool:
    """The config itself or a file in the master directory, but no installed library."""
    if filename == config_file:
        return True
    path = os.path.realpath(filename)
    inside = path.startswith(os.path.realpath(basedir) + os.sep)
    return inside and not _LIBRARY_DIRS & set(path.split(os.sep))


def _user_frame(tb: TracebackType | None, config_file: str, basedir: str) -> tuple[str, int | None]:
    """The innermost traceback entry in the user's files; the config file if none is."""
    return _innermost_user_entry(traceback.extract_tb(tb), config_file, basedir)


def running_position(frame: FrameType, config_file: str) -> tuple[str, int | None]:
    """Where a config still being evaluated is: the innermost line of the user's files."""
    basedir = os.path.dirname(config_file)
    return _innermost_user_entry(traceback.extract_stack(frame), config_file, basedir)


def _innermost_user_entry(
    entries: traceback.StackSummary, config_file: str, basedir: str
) -> tuple[str, int | None]:
    for entry in reversed(entries):
        if _is_user_file(entry.filename, config_file, basedir):
            return entry.filename, entry.lineno
    return config_file, None


def _exception_error(error: BaseException, config_file: str, basedir: str) -> ConfigError:
    if (
        isinstance(error, SyntaxError)
        and error.filename
        and _is_user_file(error.filename, config_file, basedir)
    ):
        # A helper module that does not compile: point into it, not at the import.
        return _syntax_error(error, config_file)
    filename, lineno = _user_frame(error.__traceback__, config_file, basedir)
    if isinstance(error, SystemExit):
        return ConfigError("the config called sys.exit(); it must not exit", filename, lineno)
    detail = str(error)
    message = f"{type(error).__name__}: {detail}" if detail else type(error).__name__
    return ConfigError(message, filename, lineno)


def _loaded_from(module: ModuleType | None, basedir: str) -> bool:
    if module is None:
        return False
    top = module.__name__.partition(".")[0]
    home = os.path.realpath(basedir)
    package_dir = os.path.join(home, top)
    filename = getattr(module, "__file__", None)
    if filename:
        return os.path.dirname(os.path.realpath(filename)) in (home, package_dir)
    paths = getattr(module, "__path__", None) or []
    return any(os.path.realpath(p) == package_dir for p in paths)


def _forget_modules(new_names: Iterable[str], basedir: str) -> None:
    """Drop modules that came from the master directory, so the next load re-reads them."""
    forget = [
        name for name in new_names if _loaded_from(sys.modules.get(name.partition(".")[0]), basedir)
    ]
    for name in forget:
        del sys.modules[name]


def _in_file_order(errors: list[ConfigError], config_file: str) -> list[ConfigError]:
    def position(error: ConfigError) -> tuple[bool, str, float]:
        line = float("inf") if error.lineno is None else error.lineno
        return (error.filename != config_file, error.filename or "", line)

    return sorted(errors, key=position)


def format_errors(errors: ConfigErrors) -> str:
    """A report for people: each error, with its source line when the file can be read."""
    count = len(errors.errors)
    lines = [f"{count} configuration error{'' if count == 1 else 's'}:"]
    sources: dict[str, list[str]] = {}
    for error in errors.errors:
        lines.append(f"  {error}")
        if error.filename is None or error.lineno is None:
            continue
        if error.filename not in sources:
            try:
                with open(error.filename, encoding="utf-8", errors="replace") as handle:
                    sources[error.filename] = handle.read().splitlines()
            except OSError:
                sources[error.filename] = []
        text = sources[error.filename]
        if 0 < error.lineno <= len(text) and text[error.lineno - 1].strip():
            lines.append(f"      {text[error.lineno - 1].strip()}")
    return "\n".join(lines)
