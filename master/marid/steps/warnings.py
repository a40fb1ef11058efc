"""Counting compiler warnings in a command's output, with Buildbot's rules.

A line of stdout or stderr is a warning when ``warningPattern`` (default
``(?i).*warning[: ].*``, as Buildbot's, searched in each line) matches it. The
``warningExtractor`` turns a match into ``(file, line number, text)``:
``whole_line`` (the default) gives ``(None, None, line)``;
``regexp_groups`` takes the pattern's first three groups. A warning is
dropped when a suppression ``(fileRe, warnRe, start, end)`` matches it: the
file pattern (None matches anything, and so does an unknown file), the
warning pattern (searched in the text), and the line range when both ends
are given. A suppression file has lines ``FILE-RE : WARN-RE [: START[-END]]``,
``#`` comments and ``None`` for "any".

The pattern is run over whole batches of lines (``re.MULTILINE``), so the
Python work per line is only for lines that match.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any

DEFAULT_PATTERN = "(?i).*warning[: ].*"

Extracted = tuple[str | None, int | None, str]
Suppression = tuple[Any, Any, int | None, int | None]


def _compile(pattern: Any, flags: int = 0) -> re.Pattern[str] | None:
    if pattern is None:
        return None
    if isinstance(pattern, re.Pattern):
        return pattern
    return re.compile(str(pattern), flags)


def _in_range(number: int | None, start: int | None, end: int | None) -> bool:
    """Whether a suppression's line range (if it has both ends) holds ``number``."""
    if start is None or end is None:
        return True
    return number is not None and start <= number <= end


class WarningCounter:
    """Feed it output with ``feed(stream, text)``; read ``warnings`` after ``finish()``."""

    def __init__(
        self,
        pattern: Any = None,
        extractor: Callable[..., Extracted] | None = None,
        suppressions: Iterable[Suppression] = (),
    ) -> None:
        source = pattern if pattern is not None else DEFAULT_PATTERN
        if isinstance(source, re.Pattern):
            source = source.pattern
        self.pattern = re.compile(str(source), re.MULTILINE)
        self.line_pattern = re.compile(str(source))
        self.extractor = extractor or WarningCounter.whole_line
        self.suppressions = [
            (_compile(f), _compile(w), start, end) for f, w, start, end in suppressions
        ]
        self.warnings: list[str] = []
        self._partial: dict[str, str] = {}

    @staticmethod
    def whole_line(step: Any, line: str, match: re.Match[str]) -> Extracted:
        return None, None, line

    @staticmethod
    def regexp_groups(step: Any, line: str, match: re.Match[str]) -> Extracted:
        file, number, text = match.group(1, 2, 3)
        return file, int(number) if number else None, text

    def feed(self, stream: str, text: str) -> None:
        if stream not in ("stdout", "stderr"):
            return
        text = self._partial.pop(stream, "") + text
        cut = text.rfind("\n") + 1
        if cut < len(text):
            self._partial[stream] = text[cut:]
        if cut:
            self._scan(text[:cut])

    def finish(self) -> None:
        for rest in self._partial.values():
            self._scan(rest + "\n")
        self._partial.clear()

    def _scan(self, text: str) -> None:
        seen_until = -1
        for match in self.pattern.finditer(text):
            start = text.rfind("\n", 0, match.start()) + 1
            if start <= seen_until:
                continue
            end = text.find("\n", match.start())
            end = len(text) if end < 0 else end
            seen_until = end
            line = text[start:end]
            line_match = self.line_pattern.search(line)
            if line_match is not None and not self._suppressed(line, line_match):
                self.warnings.append(line)

    def _suppressed(self, line: str, match: re.Match[str]) -> bool:
        if not self.suppressions:
            return False
        file, number, text = self.extractor(None, line, match)
        for file_re, warn_re, start, end in self.suppressions:
            if file is not None and file_re is not None and not file_re.match(file):
                continue
            if warn_re is not None and not warn_re.search(text):
                continue
            if not _in_range(number, start, end):
                continue
            return True
        return False

    def text(self) -> str:
        return "".join(line + "\n" for line in self.warnings)

    @staticmethod
    def parse_suppressions(text: str) -> list[Suppression]:
        """Suppressions from a suppression file's text (see the module docstring)."""
        found: list[Suppression] = []
        for raw in text.splitlines():
            line = raw.strip()
            if not line or line.startswith("#"):
                continue
            parts = [part.strip() for part in line.split(":")]
            if len(parts) < 2:
                continue
            file_re = None if parts[0] == "None" else parts[0]
            warn_re = None if parts[1] == "None" else parts[1]
            start = end = None
            if len(parts) > 2 and parts[2]:
                first, _, last = parts[2].partition("-")
                start = int(first)
                end = int(last) if last else start
            found.append((file_re, warn_re, start, end))
        return found
