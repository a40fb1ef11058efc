"""What a user may do: ``c['www']['authz'] = util.Authz(allowRules=[...], roleMatchers=[...])``.

As in Buildbot, role matchers turn a user into roles (``admins``,
``developers``, ``owner``...) and the allow rules map roles to endpoints.
The rules are tried in order; the first rule whose endpoint matcher matches
the request decides: a user with one of the rule's roles is allowed, anyone
else is refused unless the rule was made with ``defaultDeny=False``, in which
case the next matching rule is tried. A request no rule matches is allowed,
so ``util.Authz()`` (the default) allows everything.

Roles are compared with ``stringsMatcher(role, rule_role)``; the default
``fnmatchStrMatcher`` lets a rule say ``role="dev-*"``. Endpoint matchers live
in ``endpointmatchers``, role matchers in ``roles``, and what a request is
about (its ``Target``) is worked out by ``targets``.

Refusals raise ``Forbidden``, whose message names the refused action.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from marid.config.origin import ConfigObject
from marid.www.auth import is_anonymous
from marid.www.endpointmatchers import EndpointMatcherBase
from marid.www.roles import RoleMatcherBase, RolesFromOwner

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector

StringsMatcher = Callable[[str, str], bool]


class Forbidden(Exception):
    """The user may not do what the request asks; the message says what and why."""


def fnmatchStrMatcher(value: str, pattern: str) -> bool:
    """``pattern`` is a shell glob: ``*`` and ``?`` (case-sensitive)."""
    return fnmatch.fnmatchcase(value, pattern)


def reStrMatcher(value: str, pattern: str) -> bool:
    """``pattern`` is a regular expression matched at the start of ``value``."""
    return re.match(pattern, value) is not None


class Facts(Protocol):
    """What matchers may ask about a request's target; each answer is looked up once."""

    async def builder_names(self) -> list[str]:
        """The builders the target concerns (a build's, a request's, the forced ones)."""

    async def owners(self) -> list[str]:
        """Who owns the build or build request the target names (its ``owner`` property)."""


class NoFacts:
    """Facts of a target that names no build: no builders, no owners."""

    async def builder_names(self) -> list[str]:
        return []

    async def owners(self) -> list[str]:
        return []


@dataclass
class Target:
    """One request seen by authz: a read (``action == "get"``) or a control action."""

    path: tuple[str, ...]
    action: str
    # The endpoint's resource ("builds", "forceschedulers"...); None if the path names none.
    resource: str | None = None
    facts: Facts = field(default_factory=NoFacts)

    @property
    def is_read(self) -> bool:
        return self.action == "get"

    def describe(self) -> str:
        where = "/".join(self.path) or "the API root"
        return f"reading {where}" if self.is_read else f"{self.action!r} on {where}"


class Authz(ConfigObject):
    """Allow rules and role matchers; with neither, everything is allowed."""

    def __init__(
        self,
        allowRules: Sequence[Any] | None = None,
        roleMatchers: Sequence[Any] | None = None,
        stringsMatcher: StringsMatcher = fnmatchStrMatcher,
    ) -> None:
        self.allowRules = list(allowRules or [])
        self.roleMatchers = list(roleMatchers or [])
        self.stringsMatcher = stringsMatcher

    def match(self, value: str, pattern: str) -> bool:
        return bool(self.stringsMatcher(value, pattern))

    def roles_of(self, user: Mapping[str, Any]) -> set[str]:
        """The roles ``user`` has whatever the target (owner roles aside)."""
        roles: set[str] = set()
        if is_anonymous(user):
            return roles
        for matcher in self.roleMatchers:
            if not isinstance(matcher, RolesFromOwner):
                roles.update(matcher.getRolesFromUser(user))
        return roles

    async def owner_roles(self, user: Mapping[str, Any], target: Target) -> set[str]:
        matchers = [m for m in self.roleMatchers if isinstance(m, RolesFromOwner)]
        if not matchers or is_anonymous(user):
            return set()
        roles: set[str] = set()
        for owner in await target.facts.owners():
            for matcher in matchers:
                roles.update(matcher.getRolesFromUser(user, owner))
        return roles

    async def assert_allowed(self, target: Target, user: Mapping[str, Any]) -> None:
        """Return if ``user`` may do ``target``; raise ``Forbidden`` otherwise."""
        roles: set[str] | None = None
        for rule in self.allowRules:
            if not await rule.match(target, self.match):
                continue
            if roles is None:
                roles = self.roles_of(user) | await self.owner_roles(user, target)
            if any(self.match(role, rule.role) for role in roles):
                return
            if rule.defaultDeny:
                who = "anonymous users" if is_anonymous(user) else repr(user.get("username"))
                raise Forbidden(
                    f"{target.describe()} is not allowed for {who}: it needs the role {rule.role!r}"
                )

    def check_config(self, errors: ErrorCollector) -> None:
        if not callable(self.stringsMatcher):
            errors.add(
                "Authz: stringsMatcher must be a function such as util.fnmatchStrMatcher",
                about=self,
            )
        checks = (
            (
                "allowRules",
                EndpointMatcherBase,
                "an endpoint matcher such as util.AnyEndpointMatcher(role='admins')",
            ),
            (
                "roleMatchers",
                RoleMatcherBase,
                "a role matcher such as util.RolesFromGroups(groupPrefix='ci-')",
            ),
        )
        for attribute, kind, example in checks:
            for number, item in enumerate(getattr(self, attribute), start=1):
                if isinstance(item, kind):
                    item.check_config(errors)
                else:
                    errors.add(
                        f"Authz {attribute} #{number} must be {example}, not {type(item).__name__}",
                        about=item if isinstance(item, ConfigObject) else self,
                    )
