"""``Triggerable``: a scheduler that ``Trigger`` steps call, and that can wait for its builds.

``trigger()`` adds one buildset, with the scheduler's properties overridden by
the triggering build's ``set_props``, and returns its ids at once together
with a Deferred that fires with the buildset's results when the buildset
completes. Completion is watched through the MQ event
``buildsets/<bsid>/complete``: one consumer per scheduler, started before the
first buildset is added (so no completion can be missed) and stopped when no
trigger waits any more. Waiting outlives a reconfig that replaces or removes
the scheduler: the waiters belong to the buildsets, not to the configuration.

With ``codebases`` configured, stamps for other codebases are dropped, as
Buildbot's documentation says; without it every stamp is kept.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from twisted.internet import defer

from marid.db.buildsets import SourceStampSpec
from marid.mq.base import Consumer, RoutingKey
from marid.process.properties import Properties
from marid.schedulers.base import BaseScheduler


class Triggerable(BaseScheduler):
    """Adds a buildset each time a ``Trigger`` step names it."""

    runtime_attributes = frozenset({"_waiters", "_completions"})

    def __init__(
        self,
        name: Any,
        builderNames: Any,
        properties: Any = None,
        reason: Any = None,
        codebases: Any = None,
        priority: Any = None,
        **unknown: Any,
    ) -> None:
        super().__init__(
            name,
            builderNames,
            properties=properties,
            codebases=codebases,
            priority=priority,
            reason=reason,
            **unknown,
        )
        self._waiters: dict[int, defer.Deferred[int]] = {}
        self._completions: Consumer | None = None

    def keeps_unknown_codebases(self) -> bool:
        return self.codebases is None

    async def trigger(
        self,
        waited_for: bool,
        sourcestamps: Sequence[SourceStampSpec] | None = None,
        set_props: Properties | Mapping[str, Any] | None = None,
        parent_buildid: int | None = None,
        parent_relationship: str | None = None,
    ) -> tuple[int, dict[int, int], defer.Deferred[int]]:
        """Add the buildset: ``(bsid, {builderid: brid}, results)``.

        ``results`` fires with the buildset's results (``util.SUCCESS``, ...)
        once all its build requests are complete; cancelling it stops the wait.
        """
        context = self.require_context()
        reason = _reason_of(set_props) or self.reason
        if self._completions is None:
            self._completions = context.data.mq.start_consuming(
                self._on_complete, ("buildsets", None, "complete")
            )
        try:
            bsid, brids = await self.add_buildset_for_sourcestamps(
                sourcestamps=list(sourcestamps or ()),
                reason=reason,
                properties=set_props,
                waited_for=waited_for,
                parent_buildid=parent_buildid,
                parent_relationship=parent_relationship,
            )
        except BaseException:
            self._stop_watching_if_idle()
            raise
        results: defer.Deferred[int] = defer.Deferred(lambda _: self._forget(bsid))
        self._waiters[bsid] = results
        return bsid, brids, results

    def _on_complete(self, key: RoutingKey, message: dict[str, Any]) -> None:
        bsid = message.get("bsid", key[1])
        waiter = self._waiters.pop(int(bsid), None)
        self._stop_watching_if_idle()
        if waiter is not None:
            waiter.callback(int(message.get("results") or 0))

    def _forget(self, bsid: int) -> None:
        self._waiters.pop(bsid, None)
        self._stop_watching_if_idle()

    def _stop_watching_if_idle(self) -> None:
        if not self._waiters and self._completions is not None:
            self._completions.stop_consuming()
            self._completions = None

    @property
    def waiting(self) -> int:
        """How many triggered buildsets are still being waited for."""
        return len(self._waiters)


def _reason_of(props: Properties | Mapping[str, Any] | None) -> str | None:
    if props is None:
        return None
    value = props.getProperty("reason") if isinstance(props, Properties) else props.get("reason")
    return str(value) if value else None
