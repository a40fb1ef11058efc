"""Path patterns such as ``builders/n:builderid/builds/n:number`` and matching paths to them.

A segment is a literal, ``n:name`` (a non-negative integer), ``i:name`` (an
identifier: letters, digits, ``_``, ``-``, ``.``, not starting with a digit) or
``s:name`` (any non-empty string). When several patterns match, the one with
more literal and integer segments wins, so ``builders/1`` is a builder id and
``builders/hello`` a builder name.

An ``n:`` segment takes ASCII digits only, up to the 64-bit limit of
``bounds``; a path that matches nothing because a number in it is larger
raises ``InvalidQueryError`` (400) saying so, rather than "no such path".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from marid.data.bounds import OutOfRange, out_of_range, parse_int64
from marid.data.errors import InvalidQueryError

T = TypeVar("T")

_IDENT = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_DIGITS = re.compile(r"^[0-9]+$")
# Returned by ``Segment.match`` for digits that no 64-bit id can be.
TOO_LARGE: Any = object()


def _number(text: str) -> Any:
    if not _DIGITS.match(text):
        return None
    try:
        return parse_int64(text)
    except OutOfRange:
        return TOO_LARGE


@dataclass(frozen=True)
class Segment:
    kind: str  # "lit", "n", "i", "s"
    value: str

    def match(self, text: str) -> tuple[bool, Any]:
        if self.kind == "lit":
            return text == self.value, None
        if self.kind == "n":
            number = _number(text)
            return (False, number) if number is None or number is TOO_LARGE else (True, number)
        if self.kind == "i":
            return bool(_IDENT.match(text)), text
        return bool(text), text


def compile_pattern(pattern: str) -> tuple[Segment, ...]:
    segments = []
    for part in pattern.split("/"):
        if ":" in part:
            kind, name = part.split(":", 1)
            if kind not in ("n", "i", "s"):
                raise ValueError(f"bad pattern segment {part!r} in {pattern!r}")
            segments.append(Segment(kind, name))
        else:
            segments.append(Segment("lit", part))
    return tuple(segments)


def _rank(segments: Sequence[Segment]) -> int:
    return sum(2 if s.kind == "lit" else 1 if s.kind == "n" else 0 for s in segments)


class Router(Generic[T]):
    def __init__(self) -> None:
        self._routes: list[tuple[tuple[Segment, ...], T]] = []

    def add(self, pattern: str, target: T) -> None:
        self._routes.append((compile_pattern(pattern), target))
        self._routes.sort(key=lambda r: -_rank(r[0]))

    def match(self, path: Sequence[str]) -> tuple[T, dict[str, Any]] | None:
        """The target and arguments of ``path``; None when no pattern matches it.

        ``InvalidQueryError`` when only a too large number kept it from matching.
        """
        too_large: str | None = None
        for segments, target in self._routes:
            if len(segments) != len(path):
                continue
            args: dict[str, Any] = {}
            for seg, text in zip(segments, path, strict=True):
                ok, value = seg.match(text)
                if not ok:
                    if value is TOO_LARGE:
                        too_large = too_large or out_of_range(seg.value, text)
                    break
                if seg.kind != "lit":
                    args[seg.value] = value
            else:
                return target, args
        if too_large is not None:
            raise InvalidQueryError(too_large)
        return None
