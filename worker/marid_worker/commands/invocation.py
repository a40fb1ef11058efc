"""How a ``shell`` command's arguments become an argv, an environment and its header.

Pure functions, no I/O:

- :func:`build_argv`: a str command runs through ``/bin/sh -c``; a list is the
  argv itself. ``('obfuscated', real, shown)`` items run as ``real`` but only
  ``shown`` ever appears in a header.
- :func:`merge_environment`: the worker's environment, then the step's ``env``:
  ``None`` deletes a variable, a list is joined with ``os.pathsep``, ``${VAR}``
  is replaced by the worker's own value (empty when unset), and ``PYTHONPATH``
  is put in front of the worker's ``PYTHONPATH``. ``PWD`` is the workdir.
- :func:`describe`: the header a shell command sends before it starts.
"""

from __future__ import annotations

import os
import re
import shlex
import signal
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

_VARIABLE = re.compile(r"\$\{([^}]*)\}")


@dataclass(frozen=True)
class Argv:
    real: list[str]
    shown: list[str]
    display: str


def build_argv(command: Any) -> Argv:
    """The argv to run and the argv to show for a ``command`` argument."""
    if isinstance(command, str | bytes):
        text = _text(command)
        return Argv(["/bin/sh", "-c", text], ["/bin/sh", "-c", text], text)
    if not isinstance(command, Sequence):
        raise ValueError(f"command must be a string or a list, not {type(command).__name__}")
    real: list[str] = []
    shown: list[str] = []
    for item in command:
        if _is_obfuscated(item):
            real.append(_text(item[1]))
            shown.append(_text(item[2]))
        else:
            real.append(_text(item))
            shown.append(_text(item))
    if not real:
        raise ValueError("command is an empty list")
    return Argv(real, shown, shlex.join(shown))


def _is_obfuscated(item: Any) -> bool:
    return isinstance(item, list | tuple) and len(item) == 3 and _text(item[0]) == "obfuscated"


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return str(value)


def substitute(text: str, environ: Mapping[str, str]) -> str:
    """Replace each ``${NAME}`` in ``text`` with ``environ[NAME]`` (empty when unset)."""
    return _VARIABLE.sub(lambda match: environ.get(match.group(1), ""), text)


def merge_environment(
    environ: Mapping[str, str], env: Mapping[str, Any] | None, workdir: str
) -> dict[str, str]:
    """The child's environment: ``environ`` (the worker's) changed by the step's ``env``."""
    merged = dict(environ)
    merged["PWD"] = workdir
    for name, value in (env or {}).items():
        if value is None:
            merged.pop(name, None)
            continue
        if isinstance(value, list | tuple):
            text = os.pathsep.join(substitute(_text(item), environ) for item in value)
        else:
            text = substitute(_text(value), environ)
        if name == "PYTHONPATH" and environ.get("PYTHONPATH"):
            text = text + os.pathsep + environ["PYTHONPATH"]
        merged[name] = text
    return merged


def _seconds(value: float, label: str) -> str:
    amount = f"{value:g}"
    return f" ({label} {amount} {'sec' if amount == '1' else 'secs'})"


def describe(
    argv: Argv,
    *,
    workdir: str,
    timeout: float | None,
    max_time: float | None,
    logfiles: Mapping[str, Any],
    environment: Mapping[str, str] | None,
    stdin_size: int | None,
    use_pty: bool,
) -> str:
    """The header sent before a shell command runs (``environment`` only when logged)."""
    lines = [argv.display]
    where = f" in dir {workdir}"
    if timeout is not None:
        where += _seconds(timeout, "timeout")
    if max_time is not None:
        where += _seconds(max_time, "maxTime")
    lines.append(where)
    lines.append(f" watching logfiles {dict(logfiles)!r}")
    lines.append(f" argv: {argv.shown!r}")
    if environment is not None:
        lines.append(" environment:")
        lines.extend(f"  {name}={value}" for name, value in sorted(environment.items()))
    if stdin_size is not None:
        lines.append(f" writing {stdin_size} bytes to stdin")
    lines.append(f" using PTY: {use_pty}")
    return "\n".join(lines) + "\n"


def signal_number(name: str | int | None, default: int = signal.SIGKILL) -> int:
    """``'TERM'``, ``'SIGTERM'``, ``'15'`` or ``15`` as a signal number; ``default`` for None."""
    if name is None or name == "":
        return default
    if isinstance(name, int):
        return name
    text = name.strip().upper()
    if text.isdigit():
        return int(text)
    found = getattr(signal, text if text.startswith("SIG") else "SIG" + text, None)
    if not isinstance(found, signal.Signals):
        raise ValueError(f"unknown signal {name!r}")
    return int(found)
