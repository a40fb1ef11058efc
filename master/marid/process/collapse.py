"""Collapsing build requests, as Buildbot does.

When a builder is about to run a request, the other pending requests of the
same builder that can be collapsed with it are merged into one build: the
newest of them runs and the others are completed as SKIPPED. Whether two
requests collapse is decided by the builder's ``collapseRequests``, or the
global ``c['collapseRequests']`` when the builder's is None:

- ``False``: never;
- ``True``: when their source stamps match: the same codebases, and for each
  the same repository, branch and project (revisions may differ), and
  neither carries a patch;
- a function ``fn(master, builder, req1, req2)`` (req1 the one chosen, req2
  the candidate, both as the data API's request dicts), returning a bool or a
  Deferred of one. A function that raises counts as False.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from twisted.logger import Logger

from marid.process.renderables import call_and_await

if TYPE_CHECKING:
    from marid.process.builder import Builder
    from marid.process.buildrequest import BuildRequest

log = Logger()

_MATCHED = ("repository", "branch", "project")


def stamps_match(a: BuildRequest, b: BuildRequest) -> bool:
    """Buildbot's default rule: same codebases and per codebase the same repo/branch/project."""
    if a.bsid == b.bsid:
        return True
    if a.has_patch or b.has_patch or set(a.sources) != set(b.sources):
        return False
    return all(
        a.sources[cb].get(key) == b.sources[cb].get(key) for cb in a.sources for key in _MATCHED
    )


def collapse_rule(builder: Builder) -> Any:
    rule = builder.config.collapseRequests
    if rule is None:
        cfg = builder.master.config
        rule = cfg.collapse_requests if cfg is not None else True
    return rule


async def collapsible(
    builder: Builder, chosen: BuildRequest, pending: list[BuildRequest]
) -> list[BuildRequest]:
    """The requests among ``pending`` (not ``chosen``) that collapse with ``chosen``."""
    rule = collapse_rule(builder)
    if rule is False or rule is None:
        return []
    found = []
    for other in pending:
        if other is chosen:
            continue
        if rule is True:
            if stamps_match(chosen, other):
                found.append(other)
            continue
        try:
            if await call_and_await(
                rule, builder.master, builder, chosen.as_dict(), other.as_dict()
            ):
                found.append(other)
        except Exception:
            log.failure("collapseRequests of builder {name} failed", name=builder.name)
    return found
