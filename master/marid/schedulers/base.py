"""``BaseScheduler``: what every scheduler is configured with, and how it adds buildsets.

Configuration, with Buildbot's names and meanings: ``name``; ``builderNames``
(builder names, or a renderable that gives them); ``properties`` (set on every
buildset with the source ``"Scheduler"``, and overridden by the properties of
each request); ``codebases`` (a list of names, or ``{name: {repository,
branch, revision}}`` giving each codebase's default stamp); ``priority`` (an
int, or ``priority(builderNames, changesByCodebase)``) and ``reason``.

Runtime: the ``SchedulerManager`` calls ``start(context)`` and ``stop()``.
``start`` finds the scheduler's id and claims it for this master through
``data.schedulers.set_scheduler_master``; only the master holding the claim
calls ``activate()``, where subclasses start timers or consume changes. A
master that did not get the claim tries again every ``CLAIM_RETRY_SECONDS``,
so it takes over once the holder's claim is released.

Adding a buildset does not need the claim: a force or a trigger is served by
whichever master receives it, as in Buildbot. It does need the scheduler to
be enabled; the flag is read from the database each time, and
``SchedulerDisabledError`` is raised when it is off.

Invariants: a stopped scheduler holds no claim and no MQ consumer;
configuration attributes never change after construction (a reconfig builds
a new object and the manager compares the two, ignoring ``runtime_attributes``).
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar

from twisted.internet import defer
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger

from marid.config.checks_base import is_int, suggestion, type_name
from marid.config.errors import ErrorCollector
from marid.config.master_config import default_validation
from marid.config.origin import ConfigObject
from marid.db.buildsets import SourceStampSpec
from marid.mq.base import Consumer, RoutingKey
from marid.process.properties import Properties, RenderContext
from marid.process.renderables import call_and_await, is_renderable
from marid.schedulers.checks import check_builder_names, check_codebases, check_properties
from marid.schedulers.errors import SchedulerDisabledError, SchedulerError, UnknownBuilderError
from marid.schedulers.stamps import complete_stamps, normalise_codebases

if TYPE_CHECKING:
    from marid.data.connector import DataConnector

log = Logger()

CLAIM_RETRY_SECONDS = 60.0
"""How often a master that does not hold a scheduler's claim tries to take it."""


@dataclass
class SchedulerContext:
    """What running schedulers share: the data API, this master, time, and config-wide rules.

    ``builder_names`` are the configured builders (None: do not check names);
    ``validation`` is ``c['validation']``. The manager updates both on reconfig.
    """

    data: DataConnector
    masterid: int
    clock: IReactorTime
    builder_names: frozenset[str] | None = None
    validation: Mapping[str, re.Pattern[str]] = field(default_factory=default_validation)


class BaseScheduler(ConfigObject):
    """A named source of buildsets for ``builderNames``."""

    properties_source: ClassVar[str] = "Scheduler"
    """The source recorded for ``properties`` given as a plain mapping."""

    runtime_attributes = frozenset(
        {"context", "schedulerid", "active", "enabled", "_retry", "_claiming", "_consumer"}
    )

    def __init__(
        self,
        name: Any,
        builderNames: Any,
        properties: Any = None,
        codebases: Any = None,
        priority: Any = None,
        reason: Any = None,
        **unknown: Any,
    ) -> None:
        self.name = name
        self.builderNames = builderNames
        self.properties = {} if properties is None else properties
        self.codebases = codebases
        # Typed Any: ForceScheduler keeps an IntParameter here, as Buildbot does.
        self.priority: Any = priority
        self.reason = reason
        self.unknown_arguments = unknown
        self.context: SchedulerContext | None = None
        self.schedulerid: int | None = None
        self.active = False
        self.enabled = True
        self._retry: IDelayedCall | None = None
        self._claiming: defer.Deferred[None] | None = None
        self._consumer: Consumer | None = None

    # -- configuration ---------------------------------------------------------------

    def codebase_defaults(self) -> dict[str, dict[str, Any]]:
        """Each codebase's default stamp fields, ``{"": {}}`` when none are configured."""
        return normalise_codebases(self.codebases)

    def keeps_unknown_codebases(self) -> bool:
        """Whether stamps for codebases outside ``codebases`` are kept."""
        return True

    def default_reason(self) -> str:
        return f"The {type(self).__name__} scheduler named '{self.name}' triggered this build"

    def check_config(self, errors: ErrorCollector) -> None:
        what = f"{type(self).__name__} {self.name!r}"
        self.check_unknown_arguments(errors, what)
        check_builder_names(self.builderNames, errors, what, self)
        check_properties(self.properties, errors, what, self, "Scheduler")
        check_codebases(self.codebases, errors, what, self)
        if not (self.priority is None or is_int(self.priority) or callable(self.priority)):
            errors.add(
                f"{what}: priority must be an int or a function, not {type_name(self.priority)}",
                about=self,
            )
        if self.reason is not None and not isinstance(self.reason, str):
            errors.add(f"{what}: reason must be a str, not {type_name(self.reason)}", about=self)

    def check_unknown_arguments(self, errors: ErrorCollector, what: str) -> None:
        known = [p for p in inspect.signature(type(self).__init__).parameters if p != "self"]
        for argument in self.unknown_arguments:
            errors.add(
                f"{what}: unknown argument {argument!r}{suggestion(argument, known)}", about=self
            )

    # -- lifecycle -------------------------------------------------------------------

    async def start(self, context: SchedulerContext) -> None:
        """Register with the database, follow the enabled flag and try to claim the scheduler."""
        self.context = context
        self.schedulerid = await context.data.schedulers.find_scheduler_id(self.name)
        self._consumer = context.data.mq.start_consuming(
            self._on_updated, ("schedulers", str(self.schedulerid), "updated")
        )
        await self.refresh_enabled()
        self._claiming = defer.Deferred.fromCoroutine(self._claim())
        await self._claiming

    async def stop(self) -> None:
        """Deactivate, release the claim and stop consuming; safe to call twice."""
        context, self.context = self.context, None
        if self._retry is not None and self._retry.active():
            self._retry.cancel()
        self._retry = None
        if self._claiming is not None and not self._claiming.called:
            await self._claiming
        if self._consumer is not None:
            self._consumer.stop_consuming()
            self._consumer = None
        if self.active and context is not None and self.schedulerid is not None:
            self.active = False
            try:
                await self.deactivate()
            finally:
                await context.data.schedulers.set_scheduler_master(self.schedulerid, None)

    async def _claim(self) -> None:
        context = self.context
        if context is None or self.schedulerid is None:
            return
        claimed = await context.data.schedulers.set_scheduler_master(
            self.schedulerid, context.masterid
        )
        if self.context is None:  # stopped while claiming: give the claim straight back
            if claimed:
                await context.data.schedulers.set_scheduler_master(self.schedulerid, None)
            return
        if claimed:
            self.active = True
            await self.activate()
        else:
            self._retry = context.clock.callLater(CLAIM_RETRY_SECONDS, self._retry_claim)

    def _retry_claim(self) -> None:
        self._retry = None
        self._claiming = defer.Deferred.fromCoroutine(self._claim())
        self._claiming.addErrback(self._claim_failed)

    def _claim_failed(self, failure: Any) -> None:
        log.failure("scheduler {name}: claiming failed", failure, name=self.name)
        if self.context is not None:
            self._retry = self.context.clock.callLater(CLAIM_RETRY_SECONDS, self._retry_claim)

    async def activate(self) -> None:
        """Called once this master holds the claim: start timers, consume changes."""

    async def deactivate(self) -> None:
        """Called before the claim is released: stop what ``activate`` started."""

    def _on_updated(self, key: RoutingKey, message: dict[str, Any]) -> None:
        self.enabled = bool(message.get("enabled", True))

    async def refresh_enabled(self) -> bool:
        """Read the enabled flag from the database (another master may have changed it)."""
        context = self.require_context()
        result, _ = await context.data.get(("schedulers", str(self.schedulerid)))
        self.enabled = bool(result.items[0]["enabled"]) if result.items else True
        return self.enabled

    def require_context(self) -> SchedulerContext:
        if self.context is None or self.schedulerid is None:
            raise SchedulerError(f"scheduler {self.name!r} is not running")
        return self.context

    # -- adding buildsets ------------------------------------------------------------

    async def add_buildset_for_sourcestamps(
        self,
        *,
        sourcestamps: Sequence[SourceStampSpec] = (),
        reason: str | None = None,
        properties: Properties | Mapping[str, Any] | None = None,
        builderNames: Sequence[str] | None = None,
        waited_for: bool = False,
        priority: int | None = None,
        parent_buildid: int | None = None,
        parent_relationship: str | None = None,
        external_idstring: str | None = None,
    ) -> tuple[int, dict[int, int]]:
        """Add a buildset; return ``(bsid, {builderid: buildrequestid})``.

        Stamps are completed with the codebase defaults; ``properties`` override
        the scheduler's own; ``builderNames`` default to the scheduler's.
        """
        context = self.require_context()
        if not await self.refresh_enabled():
            raise SchedulerDisabledError(f"scheduler {self.name!r} is disabled")
        stamps = await complete_stamps(
            sourcestamps,
            self.codebase_defaults(),
            self._codebase_of,
            keep_unknown=self.keeps_unknown_codebases(),
        )
        props = await self._properties(properties, stamps)
        names = await self._builder_names(builderNames, props)
        builderids = [await context.data.builders.find_builder_id(name) for name in names]
        if priority is None:
            priority = await self._default_priority(names)
        return await context.data.buildsets.add_buildset(
            scheduler=self.name,
            sourcestamps=stamps,
            reason=self.default_reason() if reason is None else reason,
            properties=props.asDict(),
            builderids=builderids,
            waited_for=waited_for,
            external_idstring=external_idstring,
            parent_buildid=parent_buildid,
            parent_relationship=parent_relationship,
            priority=priority,
        )

    async def _codebase_of(self, ssid: int) -> str:
        data = self.require_context().data
        try:
            result, _ = await data.get(("sourcestamps", str(ssid)))
        except Exception as error:  # NotFoundError, or a database error: both mean "cannot use"
            raise SchedulerError(f"source stamp {ssid} cannot be read: {error}") from None
        return str(result.items[0]["codebase"])

    async def _properties(
        self, given: Properties | Mapping[str, Any] | None, stamps: Sequence[SourceStampSpec]
    ) -> Properties:
        by_codebase = {
            str(s.get("codebase", "")): dict(s) for s in stamps if not isinstance(s, int)
        }
        props = Properties(render_context=RenderContext(sourcestamps=by_codebase))
        overrides = given if isinstance(given, Properties) else Properties()
        pending: dict[str, tuple[Any, str]] = {}
        if isinstance(given, Mapping):
            pending.update((k, (v, self.properties_source)) for k, v in given.items())
        for name, value in self.properties.items():
            if name in overrides or name in pending:
                continue
            if is_renderable(value):
                pending[name] = (value, "Scheduler")
            else:
                props.setProperty(name, value, "Scheduler")
        props.updateFromProperties(overrides)
        for name, (value, source) in pending.items():
            props.setProperty(name, await props.render(value), source)
        return props

    async def _builder_names(self, given: Sequence[str] | None, props: Properties) -> list[str]:
        wanted = await props.render(list(given) if given else self.builderNames)
        if not isinstance(wanted, list | tuple) or not all(isinstance(n, str) for n in wanted):
            raise UnknownBuilderError(
                f"scheduler {self.name!r}: builderNames gave {wanted!r}, not a list of names"
            )
        names = list(dict.fromkeys(wanted))
        if not names:
            raise UnknownBuilderError(f"scheduler {self.name!r}: no builders to build on")
        known = self.require_context().builder_names
        unknown = [n for n in names if known is not None and n not in known]
        if unknown:
            raise UnknownBuilderError(
                f"scheduler {self.name!r}: unknown builder(s) {', '.join(map(repr, unknown))}"
            )
        return names

    async def _default_priority(self, names: list[str]) -> int:
        priority = self.priority
        if callable(priority):
            priority = await call_and_await(priority, names, {})
        return priority if is_int(priority) else 0
