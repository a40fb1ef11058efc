"""Source stamps for a new buildset: what the caller gave, completed with the scheduler's defaults.

A caller gives stamps as ``ssid`` integers (or data API stamp dicts, which
carry ``ssid``) or as dicts of ``StampFields`` keys. Every codebase the
scheduler knows gets a stamp: the caller's, laid over the codebase's
configured ``repository``, ``branch`` and ``revision``, or those defaults
alone. Stamps for codebases the scheduler does not know are kept when
``keep_unknown`` says so. Two stamps for one codebase are an error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from marid.db.buildsets import SourceStampSpec
from marid.db.sourcestamps import StampFields
from marid.schedulers.errors import SchedulerError

STAMP_KEYS = frozenset(f.name for f in dataclasses.fields(StampFields))
CODEBASE_KEYS = frozenset({"repository", "branch", "revision", "project"})

CodebaseOf = Callable[[int], Awaitable[str]]


def normalise_codebases(codebases: object) -> dict[str, dict[str, Any]]:
    """``codebases`` as ``{name: {repository, branch, ...}}``; None means ``{"": {}}``."""
    if codebases is None:
        return {"": {}}
    if isinstance(codebases, Mapping):
        return {
            str(name): dict(spec) if isinstance(spec, Mapping) else {}
            for name, spec in codebases.items()
        }
    if isinstance(codebases, list | tuple):
        return {str(name): {} for name in codebases if isinstance(name, str)}
    return {"": {}}


def _ssid_of(stamp: SourceStampSpec) -> int | None:
    if isinstance(stamp, int):
        return stamp
    ssid = stamp.get("ssid")
    return ssid if isinstance(ssid, int) and not isinstance(ssid, bool) else None


async def complete_stamps(
    given: Sequence[SourceStampSpec],
    defaults: Mapping[str, Mapping[str, Any]],
    codebase_of: CodebaseOf,
    *,
    keep_unknown: bool = True,
) -> list[SourceStampSpec]:
    """The stamps of a new buildset: existing ones by id, then one dict per codebase."""
    existing: list[int] = []
    covered: set[str] = set()
    new: dict[str, dict[str, Any]] = {}
    for stamp in given:
        ssid = _ssid_of(stamp)
        if ssid is not None:
            codebase = await codebase_of(ssid)
            fields: dict[str, Any] = {}
        else:
            assert not isinstance(stamp, int)
            fields = {key: value for key, value in stamp.items() if key in STAMP_KEYS}
            codebase = str(fields.get("codebase") or "")
        if codebase in covered:
            raise SchedulerError(f"two source stamps for codebase {codebase!r}")
        covered.add(codebase)
        if ssid is not None:
            existing.append(ssid)
        else:
            new[codebase] = fields
    stamps: list[SourceStampSpec] = list(existing)
    for codebase, spec in defaults.items():
        if codebase in covered and codebase not in new:
            continue
        stamp = {
            "codebase": codebase,
            "repository": spec.get("repository") or "",
            "branch": spec.get("branch"),
            "revision": spec.get("revision"),
            "project": spec.get("project") or "",
        }
        stamp.update(new.pop(codebase, {}))
        stamps.append(_tidy(stamp))
    if keep_unknown:
        for codebase, fields in new.items():
            stamps.append(_tidy({**fields, "codebase": codebase}))
    return stamps


def _tidy(stamp: dict[str, Any]) -> dict[str, Any]:
    # The database keeps "" rather than NULL for a stamp without repository or project.
    return {
        **stamp,
        "repository": stamp.get("repository") or "",
        "project": stamp.get("project") or "",
    }
