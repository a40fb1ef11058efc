"""Build requests: one per builder in a buildset; claimed by the master that builds it.

``properties`` is null unless the request asks with ``property=`` (``*`` for
all): then it holds the buildset's properties, loaded for the page in one query.

Events: ``buildrequests/M/new`` (from ``add_buildset``), ``.../claimed``,
``.../unclaimed`` and ``.../complete``, each with the request as message
(which carries ``builderid`` and ``buildsetid``).

Control action (JSON-RPC on ``buildrequests/N``): ``cancel`` (``reason``):
a pending request is completed as CANCELLED; one being built on this master
has its build stopped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from marid.data.base import Endpoint, Kind, Page, ResourceType, as_dict
from marid.data.errors import ConflictError, InvalidControlError
from marid.db import buildrequests as dbbuildrequests
from marid.db.buildrequests import AlreadyClaimedError
from marid.db.query import Query

__all__ = ["AlreadyClaimedError", "BuildRequests"]


class BuildRequestsEndpoint(Endpoint):
    kind = Kind.COLLECTION
    root = "buildrequests"
    patterns = (
        "buildrequests",
        "builders/n:builderid/buildrequests",
        "builders/i:buildername/buildrequests",
    )
    fields = dbbuildrequests.FIELDS
    extra_fields = dbbuildrequests.EXTRA_FIELDS

    async def get_page(self, query: Query, args: dict[str, Any]) -> Page:
        builderid = None
        if "builderid" in args or "buildername" in args:
            builderid = await self.data.resolve_builderid(args)
            if builderid is None:
                return Page([], 0)
        items, total = await self.db.buildrequests.get_build_requests(
            query, builderid=builderid, properties=args.get("_properties", [])
        )
        return Page([as_dict(r) for r in items], total)


class BuildRequestEndpoint(Endpoint):
    kind = Kind.ENTITY
    root = "buildrequests"
    patterns = ("buildrequests/n:buildrequestid",)
    fields = dbbuildrequests.FIELDS
    extra_fields = dbbuildrequests.EXTRA_FIELDS
    actions = {"cancel": "control_cancel"}

    async def control_cancel(self, params: dict[str, Any], args: dict[str, Any]) -> None:
        reason = params.get("reason")
        if reason is not None and not isinstance(reason, str):
            raise InvalidControlError("'reason' must be a string")
        botmaster = getattr(self.data.master, "botmaster", None)
        if botmaster is None:
            raise ConflictError("this master runs no builds")
        await botmaster.cancel_request(args["buildrequestid"], reason or "cancelled")

    async def get_entity(self, query: Query, args: dict[str, Any]) -> dict[str, Any] | None:
        request = await self.db.buildrequests.get_build_request(
            args["buildrequestid"], properties=args.get("_properties", [])
        )
        return as_dict(request) if request else None


class BuildRequests(ResourceType):
    name = "buildrequests"

    async def _produce(self, brids: Sequence[int], event: str) -> list[Any]:
        requests = await self.db.buildrequests.get_build_requests_by_ids(list(brids), written=True)
        for request in requests:
            self.produce(("buildrequests", request.buildrequestid, event), as_dict(request))
        return list(requests)

    async def claim_build_requests(self, brids: Sequence[int], masterid: int) -> None:
        """Claim all of ``brids`` for ``masterid``; ``AlreadyClaimedError`` (and no claim) if
        any is claimed already."""
        await self.db.buildrequests.claim_build_requests(list(brids), masterid, self.now())
        await self._produce(brids, "claimed")

    async def unclaim_build_requests(
        self, brids: Sequence[int], masterid: int | None = None
    ) -> None:
        """Release the incomplete ones among ``brids`` (only those ``masterid`` holds, if given)."""
        released = await self.db.buildrequests.unclaim_build_requests(list(brids), masterid)
        await self._produce(released, "unclaimed")

    async def complete_build_requests(self, brids: Sequence[int], results: int) -> None:
        """Mark requests complete with ``results``, then complete their buildsets if done."""
        completed = await self.db.buildrequests.complete_build_requests(
            list(brids), results, self.now()
        )
        requests = await self._produce(completed, "complete")
        if set(completed) != set(brids):
            # Some were complete already: perhaps by an earlier attempt of this call that
            # failed before its buildsets were done (a finishing build retries it).
            requests = await self.db.buildrequests.get_build_requests_by_ids(list(brids))
        for bsid in sorted({r.buildsetid for r in requests}):
            await self.data.buildsets.maybe_buildset_complete(bsid)


ENDPOINTS = (BuildRequestsEndpoint, BuildRequestEndpoint)
