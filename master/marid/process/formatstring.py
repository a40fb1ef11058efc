"""Parsing of Python %-format strings for ``Interpolate`` and ``WithProperties``.

``scan`` cuts a format string into literal text and placeholders, the way
the ``%`` operator reads it: ``%%`` is a literal percent sign, ``%(key)spec``
a keyed placeholder whose key may itself contain balanced parentheses (so a
default can hold another ``%(...)s``), and ``%spec`` a positional one. The
interpretation of keys belongs to the callers. Errors are ``FormatError``
with a message that quotes the offending piece.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

_SPEC = re.compile(r"[#0\- +]*\d*(?:\.\d*)?[hlL]?[diouxXeEfFgGcrsa]")


class FormatError(ValueError):
    """A format string that cannot be parsed."""


@dataclass(frozen=True)
class Text:
    """Literal text (``%%`` already turned into ``%``)."""

    text: str


@dataclass(frozen=True)
class Field:
    """A placeholder: ``key`` is None for a positional one; ``spec`` is e.g. ``s`` or ``04d``."""

    key: str | None
    spec: str
    source: str


def scan(fmt: str) -> list[Text | Field]:
    """The parts of ``fmt`` in order; ``FormatError`` for a malformed placeholder."""
    parts: list[Text | Field] = []
    literal: list[str] = []
    position = 0
    while True:
        percent = fmt.find("%", position)
        if percent < 0:
            literal.append(fmt[position:])
            break
        literal.append(fmt[position:percent])
        if fmt.startswith("%%", percent):
            literal.append("%")
            position = percent + 2
            continue
        cursor = percent + 1
        key: str | None = None
        if fmt.startswith("(", cursor):
            close = _closing_parenthesis(fmt, cursor)
            if close < 0:
                raise FormatError(f"unbalanced parentheses in {fmt[percent:]!r}")
            key = fmt[cursor + 1 : close]
            cursor = close + 1
        match = _SPEC.match(fmt, cursor)
        if match is None:
            shown = fmt[percent : cursor + 1]
            raise FormatError(
                f"{shown!r} is not a complete placeholder: it needs a conversion such as 's' "
                "(a common slip is leaving out the trailing 's')"
            )
        if "".join(literal):
            parts.append(Text("".join(literal)))
        literal = []
        parts.append(Field(key, match.group(), fmt[percent : match.end()]))
        position = match.end()
    if "".join(literal):
        parts.append(Text("".join(literal)))
    return parts


def _closing_parenthesis(text: str, start: int) -> int:
    """Index of the ``)`` matching the ``(`` at ``start``, or -1."""
    depth = 0
    for index in range(start, len(text)):
        if text[index] == "(":
            depth += 1
        elif text[index] == ")":
            depth -= 1
            if depth == 0:
                return index
    return -1


def split_top_level(text: str, delimiter: str) -> list[str]:
    """``text`` split at each ``delimiter`` that is not inside parentheses."""
    pieces: list[str] = []
    depth = 0
    start = 0
    for index, char in enumerate(text):
        if char == "(":
            depth += 1
        elif char == ")":
            depth = max(depth - 1, 0)
        elif char == delimiter and depth == 0:
            pieces.append(text[start:index])
            start = index + 1
    pieces.append(text[start:])
    return pieces


def apply_spec(spec: str, value: Any) -> str:
    """``value`` formatted by one conversion, as ``"%" + spec`` would; TypeError if unfit."""
    return ("%" + spec) % (value,)
