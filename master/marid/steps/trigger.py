"""``Trigger``: start builds through ``Triggerable`` schedulers, and optionally wait for them.

Each name in ``schedulerNames`` must be a running ``schedulers.Triggerable``
(a missing or different scheduler fails the step before anything is
triggered). Each gets one buildset whose parent is this build
(``parent_relationship``, default ``"Triggered from"``), with properties
``set_properties`` (rendered) and the build's own ``copy_properties``, all
from the source ``"Trigger"``.

Source stamps: ``sourceStamps`` (a list of stamp dicts) when given; nothing
with ``alwaysUseLatest`` (the triggered builders take their branches' tips);
otherwise this build's stamps, with each revision replaced by the
``got_revision`` a checkout found for that codebase when
``updateSourceStamp`` (the default).

The step links each build request at once (``<scheduler> #<brid>``). With
``waitForFinish`` it waits for every buildset, links the builds that ran,
and ends with the worst of their results, ignoring the schedulers named in
``unimportantSchedulerNames``; without it, it ends SUCCESS once triggered.
Interrupting the step stops waiting and cancels the triggered requests.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, NoReturn

from twisted.internet import defer

from marid.config.errors import ErrorCollector
from marid.process.buildstep import BuildStep, StepFailed
from marid.process.properties import Properties
from marid.process.renderables import is_renderable
from marid.process.results import CANCELLED, FAILURE, SUCCESS, status_text, worst_status
from marid.schedulers.triggerable import Triggerable

STAMP_KEYS = ("codebase", "repository", "branch", "revision", "project")


class Trigger(BuildStep):
    """Trigger builds on ``Triggerable`` schedulers; see the module docstring."""

    name = "trigger"
    description = "triggering"
    descriptionDone = "triggered"
    flunkOnFailure = True
    renderables: ClassVar[tuple[str, ...]] = (
        "schedulerNames",
        "unimportantSchedulerNames",
        "sourceStamps",
        "set_properties",
        "parent_relationship",
    )

    def __init__(
        self,
        schedulerNames: Any = None,
        sourceStamps: Any = None,
        updateSourceStamp: bool | None = None,
        alwaysUseLatest: bool = False,
        waitForFinish: bool = False,
        set_properties: Any = None,
        copy_properties: Any = None,
        parent_relationship: Any = "Triggered from",
        unimportantSchedulerNames: Any = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.schedulerNames = schedulerNames if schedulerNames is not None else []
        self.sourceStamps = sourceStamps
        self.updateSourceStamp = updateSourceStamp
        self.alwaysUseLatest = alwaysUseLatest
        self.waitForFinish = waitForFinish
        self.set_properties = set_properties if set_properties is not None else {}
        self.copy_properties = copy_properties if copy_properties is not None else []
        self.parent_relationship = parent_relationship
        self.unimportantSchedulerNames = unimportantSchedulerNames or []
        self._waiting: list[defer.Deferred[int]] = []
        self._brids: list[int] = []

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)

        def bad(message: str) -> None:
            errors.add(f"Trigger {self.name!r}: {message}", key="builders", about=self)

        names = self.schedulerNames
        if not is_renderable(names):
            if not isinstance(names, list | tuple) or not names:
                bad("schedulerNames must be a non-empty list of Triggerable scheduler names")
            elif not all(isinstance(n, str) or is_renderable(n) for n in names):
                bad(f"schedulerNames must hold scheduler names, not {names!r}")
            else:
                unknown = [n for n in self.unimportantSchedulerNames if n not in names]
                if unknown and not is_renderable(self.unimportantSchedulerNames):
                    bad(f"unimportantSchedulerNames {unknown!r} are not in schedulerNames")
        if self.sourceStamps is not None and (self.updateSourceStamp or self.alwaysUseLatest):
            bad("sourceStamps cannot be combined with updateSourceStamp or alwaysUseLatest")
        if self.updateSourceStamp and self.alwaysUseLatest:
            bad("updateSourceStamp and alwaysUseLatest cannot both be set")
        for flag in ("alwaysUseLatest", "waitForFinish"):
            if not isinstance(getattr(self, flag), bool):
                bad(f"{flag} must be True or False")
        if not isinstance(self.set_properties, Mapping) and not is_renderable(self.set_properties):
            bad("set_properties must be a dict of property name -> value")
        copy = self.copy_properties
        if not isinstance(copy, list | tuple) or not all(isinstance(n, str) for n in copy):
            bad("copy_properties must be a list of property names")

    # -- running -----------------------------------------------------------------------

    async def run(self) -> int:
        schedulers = await self._schedulers()
        props = self.trigger_properties()
        stamps = self.trigger_sourcestamps()
        log = await self.getLog("stdio")
        triggered: list[tuple[str, defer.Deferred[int]]] = []
        failed = False
        for scheduler in schedulers:
            try:
                bsid, brids, results = await scheduler.trigger(
                    waited_for=bool(self.waitForFinish),
                    sourcestamps=stamps,
                    set_props=props,
                    parent_buildid=self.build.buildid,
                    parent_relationship=str(self.parent_relationship or "") or None,
                )
            except Exception as error:
                log.add_header(f"triggering {scheduler.name} failed: {error}\n")
                failed = True
                continue
            log.add_header(f"triggered {scheduler.name}: buildset {bsid}\n")
            for brid in sorted(brids.values()):
                self._brids.append(brid)
                await self.add_url(f"{scheduler.name} #{brid}", self.url(f"buildrequests/{brid}"))
            if self.waitForFinish:
                self._waiting.append(results)
                triggered.append((str(scheduler.name), results))
            else:
                results.addErrback(lambda _: None)
                results.cancel()  # nothing waits: let the scheduler stop watching
        if failed and not triggered:
            raise StepFailed("triggering failed")
        if not self.waitForFinish:
            return FAILURE if failed else SUCCESS
        return await self._wait(triggered, failed)

    async def _wait(self, triggered: list[tuple[str, defer.Deferred[int]]], failed: bool) -> int:
        outcome = FAILURE if failed else SUCCESS
        summary: list[str] = []
        for name, waiting in triggered:
            try:
                results = await waiting
            except defer.CancelledError:
                return CANCELLED
            summary.append(f"{name}: {status_text(results)}")
            if name not in self.unimportantSchedulerNames:
                outcome = worst_status(outcome, results)
        await self._link_builds()
        self.descriptionDone = f"triggered {', '.join(summary)}"
        return CANCELLED if self.interrupted else outcome

    async def _schedulers(self) -> list[Triggerable]:
        names = self.schedulerNames
        if not isinstance(names, list | tuple) or not names:
            await self._fail(f"schedulerNames rendered to {names!r}, not a list of names")
        manager = getattr(self.master, "scheduler_manager", None)
        found: list[Triggerable] = []
        for name in names:
            scheduler = manager.get(str(name)) if manager is not None else None
            if scheduler is None:
                await self._fail(f"no scheduler named {name!r} is running")
            if not isinstance(scheduler, Triggerable):
                kind = type(scheduler).__name__
                await self._fail(f"scheduler {name!r} is a {kind}, not a Triggerable")
            found.append(scheduler)
        return found

    def trigger_properties(self) -> Properties:
        """The properties the triggered buildsets get: copied ones, then ``set_properties``."""
        props = Properties()
        for name in self.copy_properties:
            if self.hasProperty(name):
                props.setProperty(name, self.getProperty(name), "Trigger")
        values = self.set_properties if isinstance(self.set_properties, Mapping) else {}
        for name, value in values.items():
            props.setProperty(str(name), value, "Trigger")
        return props

    def trigger_sourcestamps(self) -> list[dict[str, Any]]:
        """The stamps the triggered buildsets get (see the module docstring)."""
        if self.sourceStamps is not None:
            return [dict(stamp) for stamp in self.sourceStamps]
        if self.alwaysUseLatest:
            return []
        own = self.getProperties().render_context.sourcestamps
        stamps = {
            codebase: {key: stamp.get(key) for key in STAMP_KEYS if key in stamp}
            for codebase, stamp in own.items()
        }
        if self.updateSourceStamp is not False:
            for codebase, revision in self._got_revisions().items():
                if codebase in stamps:
                    stamps[codebase]["revision"] = revision
        for codebase, stamp in stamps.items():
            stamp["codebase"] = codebase
        return [stamps[codebase] for codebase in sorted(stamps)]

    def _got_revisions(self) -> dict[str, Any]:
        got = self.getProperty("got_revision")
        if isinstance(got, Mapping):
            return dict(got)
        return {"": got} if got else {}

    async def _link_builds(self) -> None:
        data = self.master.data
        if data is None:
            return
        for brid in self._brids:
            try:
                result, _ = await data.get("builds", {"buildrequestid": [str(brid)]})
                for build in result.items:
                    builder, _ = await data.get(f"builders/{build['builderid']}")
                    name = builder.items[0]["name"] if builder.items else build["builderid"]
                    path = f"builders/{build['builderid']}/builds/{build['number']}"
                    await self.add_url(f"{name} #{build['number']}", self.url(path))
            except Exception as error:
                log = await self.getLog("stdio")
                log.add_header(f"could not link the builds of request {brid}: {error}\n")

    def url(self, path: str) -> str:
        config = self.master.config
        base = config.buildbot_url if config is not None else "http://localhost:8010/"
        return f"{base}#/{path}"

    async def _fail(self, message: str) -> NoReturn:
        log = await self.getLog("stdio")
        log.add_header(message + "\n")
        raise StepFailed(message)

    def interrupt(self, reason: str) -> None:
        super().interrupt(reason)
        for waiting in self._waiting:
            waiting.cancel()
        botmaster = getattr(self.master, "botmaster", None)
        cancel = getattr(botmaster, "cancel_request", None)
        if cancel is not None:
            for brid in self._brids:
                self.build.background(_quietly(cancel(brid, reason)))


async def _quietly(work: Any) -> None:
    """Await ``work``, ignoring its failure (a request that already ran cannot be cancelled)."""
    try:
        await work
    except Exception:
        return
