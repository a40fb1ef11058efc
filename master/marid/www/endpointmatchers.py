"""Endpoint matchers: the left-hand side of an ``Authz`` allow rule.

Each matcher is built with ``role`` (the role a user needs when the matcher
matches) and ``defaultDeny`` (True: refuse users without the role; False:
let the next matching rule decide). A matcher matches a ``Target``:

================================  ===================================================
``AnyEndpointMatcher``            every request: reads and control actions
``AnyControlEndpointMatcher``     every control action (JSON-RPC POST), no read
``ForceBuildEndpointMatcher``     ``force`` on ``forceschedulers/NAME``
``StopBuildEndpointMatcher``      ``stop`` on a build, ``cancel`` on a build request
``RebuildBuildEndpointMatcher``   ``rebuild`` on a build
``EnableSchedulerEndpointMatcher`` ``enable`` on ``schedulers/N``
================================  ===================================================

The three build matchers take ``builder=`` (a pattern for the authz's
``stringsMatcher``): they then match only when every builder the action
concerns matches. For a force, those are the builders the request names
(``builderid`` or ``builderNames``), else all of the scheduler's builders.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ClassVar

from marid.config.origin import ConfigObject

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector
    from marid.www.authz import StringsMatcher, Target


class EndpointMatcherBase(ConfigObject):
    """A rule: requests this matcher matches need ``role``."""

    def __init__(self, role: str, defaultDeny: bool = True) -> None:
        self.role = role
        self.defaultDeny = defaultDeny

    async def match(self, target: Target, strings: StringsMatcher) -> bool:
        raise NotImplementedError

    def check_config(self, errors: ErrorCollector) -> None:
        name = type(self).__name__
        if not isinstance(self.role, str) or not self.role:
            errors.add(f"{name}: role must be a non-empty str such as 'admins'", about=self)
        if not isinstance(self.defaultDeny, bool):
            errors.add(f"{name}: defaultDeny must be True or False", about=self)


class AnyEndpointMatcher(EndpointMatcherBase):
    """Every read and every control action."""

    async def match(self, target: Target, strings: StringsMatcher) -> bool:
        return True


class AnyControlEndpointMatcher(EndpointMatcherBase):
    """Every control action; never a read."""

    async def match(self, target: Target, strings: StringsMatcher) -> bool:
        return not target.is_read


class BuilderActionMatcher(EndpointMatcherBase):
    """Base of the matchers of ``actions``, optionally on builders matching ``builder``."""

    # (resource, action) pairs this matcher covers.
    actions: ClassVar[frozenset[tuple[str, str]]] = frozenset()

    def __init__(self, builder: str | None = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.builder = builder

    async def match(self, target: Target, strings: StringsMatcher) -> bool:
        if target.is_read or (target.resource, target.action) not in self.actions:
            return False
        if self.builder is None:
            return True
        names = await target.facts.builder_names()
        return bool(names) and all(strings(name, self.builder) for name in names)

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if self.builder is not None and not isinstance(self.builder, str):
            errors.add(
                f"{type(self).__name__}: builder must be a builder name pattern (str) or None",
                about=self,
            )


class ForceBuildEndpointMatcher(BuilderActionMatcher):
    actions = frozenset({("forceschedulers", "force")})


class StopBuildEndpointMatcher(BuilderActionMatcher):
    actions = frozenset({("builds", "stop"), ("buildrequests", "cancel")})


class RebuildBuildEndpointMatcher(BuilderActionMatcher):
    actions = frozenset({("builds", "rebuild")})


class EnableSchedulerEndpointMatcher(EndpointMatcherBase):
    """``enable`` (enabling or disabling) on a scheduler."""

    async def match(self, target: Target, strings: StringsMatcher) -> bool:
        return target.resource == "schedulers" and target.action == "enable"
