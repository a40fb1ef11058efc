"""Authz: each endpoint matcher, each role matcher, and how the rules decide."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pytest
import pytest_twisted

from marid.config.errors import ErrorCollector
from marid.www.authz import Authz, Forbidden, Target, fnmatchStrMatcher, reStrMatcher
from marid.www.endpointmatchers import (
    AnyControlEndpointMatcher,
    AnyEndpointMatcher,
    EnableSchedulerEndpointMatcher,
    ForceBuildEndpointMatcher,
    RebuildBuildEndpointMatcher,
    StopBuildEndpointMatcher,
)
from marid.www.roles import RolesFromEmails, RolesFromGroups, RolesFromOwner, RolesFromUsername

ANONYMOUS = {"anonymous": True}
ALICE = {"username": "alice", "email": "alice@example.org", "groups": ["ci-admins", "staff"]}
BOB = {"username": "bob", "email": "bob@example.org", "groups": ["staff"]}


@dataclass
class FakeFacts:
    builders: list[str] = field(default_factory=list)
    owner_list: list[str] = field(default_factory=list)
    asked: int = 0

    async def builder_names(self) -> list[str]:
        self.asked += 1
        return self.builders

    async def owners(self) -> list[str]:
        return self.owner_list


def target(
    path: str, action: str = "get", builders: list[str] | None = None, owners: tuple[str, ...] = ()
) -> Target:
    parts = tuple(path.split("/"))
    return Target(parts, action, parts[0], FakeFacts(builders or [], list(owners)))


async def matches(matcher: Any, t: Target) -> bool:
    return bool(await matcher.match(t, fnmatchStrMatcher))


READ = target("builds/1")
FORCE = target("forceschedulers/f", "force", ["try-linux"])
STOP = target("builds/1", "stop", ["release"])
CANCEL = target("buildrequests/4", "cancel", ["release"])
REBUILD = target("builds/1", "rebuild", ["try-linux"])
ENABLE = target("schedulers/2", "enable")
PAUSE = target("workers/3", "pause")
ALL = [READ, FORCE, STOP, CANCEL, REBUILD, ENABLE, PAUSE]


@pytest.mark.parametrize(
    ("matcher", "matched"),
    [
        (AnyEndpointMatcher(role="r"), ALL),
        (AnyControlEndpointMatcher(role="r"), [FORCE, STOP, CANCEL, REBUILD, ENABLE, PAUSE]),
        (ForceBuildEndpointMatcher(role="r"), [FORCE]),
        (StopBuildEndpointMatcher(role="r"), [STOP, CANCEL]),
        (RebuildBuildEndpointMatcher(role="r"), [REBUILD]),
        (EnableSchedulerEndpointMatcher(role="r"), [ENABLE]),
    ],
    ids=lambda v: type(v).__name__ if not isinstance(v, list) else "",
)
@pytest_twisted.ensureDeferred
async def test_each_matcher_matches_its_actions_only(matcher: Any, matched: list[Target]) -> None:
    assert [t for t in ALL if await matches(matcher, t)] == matched


@pytest_twisted.ensureDeferred
async def test_builder_patterns_restrict_the_build_matchers() -> None:
    assert await matches(ForceBuildEndpointMatcher(builder="try-*", role="r"), FORCE)
    assert not await matches(ForceBuildEndpointMatcher(builder="release", role="r"), FORCE)
    assert await matches(StopBuildEndpointMatcher(builder="rel*", role="r"), CANCEL)
    assert not await matches(RebuildBuildEndpointMatcher(builder="rel*", role="r"), REBUILD)
    several = target("forceschedulers/f", "force", ["try-linux", "release"])
    assert not await matches(ForceBuildEndpointMatcher(builder="try-*", role="r"), several)
    unknown = target("forceschedulers/f", "force", [])
    assert not await matches(ForceBuildEndpointMatcher(builder="*", role="r"), unknown)


@pytest_twisted.ensureDeferred
async def test_builders_are_not_looked_up_without_a_pattern() -> None:
    t = target("forceschedulers/f", "force", ["a"])
    assert await matches(ForceBuildEndpointMatcher(role="r"), t)
    assert isinstance(t.facts, FakeFacts) and t.facts.asked == 0


def test_roles_from_groups_strips_the_prefix() -> None:
    assert RolesFromGroups().getRolesFromUser(ALICE) == ["ci-admins", "staff"]
    assert RolesFromGroups(groupPrefix="ci-").getRolesFromUser(ALICE) == ["admins"]
    assert RolesFromGroups(groupPrefix="ci-").getRolesFromUser(BOB) == []


def test_roles_from_emails_and_usernames() -> None:
    emails = RolesFromEmails(admins=["alice@example.org"], devs=["alice@example.org", "x@y"])
    assert emails.getRolesFromUser(ALICE) == ["admins", "devs"]
    assert emails.getRolesFromUser(BOB) == []
    names = RolesFromUsername(roles=["admins", "ops"], usernames=["bob"])
    assert names.getRolesFromUser(BOB) == ["admins", "ops"]
    assert names.getRolesFromUser(ALICE) == []
    assert RolesFromUsername(roles="admins", usernames="bob").getRolesFromUser(BOB) == ["admins"]


def test_roles_from_owner_recognises_email_full_form_and_username() -> None:
    owner = RolesFromOwner(role="owner")
    assert owner.getRolesFromUser(ALICE, "alice@example.org") == ["owner"]
    assert owner.getRolesFromUser(ALICE, "Alice Liddell <alice@example.org>") == ["owner"]
    assert owner.getRolesFromUser({"username": "carol", "email": None}, "carol") == ["owner"]
    assert owner.getRolesFromUser(BOB, "alice@example.org") == []
    assert owner.getRolesFromUser(ALICE, None) == []


def admin_authz(*rules: Any) -> Authz:
    return Authz(
        allowRules=list(rules),
        roleMatchers=[RolesFromGroups(groupPrefix="ci-"), RolesFromOwner(role="owner")],
    )


@pytest_twisted.ensureDeferred
async def test_without_rules_everything_is_allowed() -> None:
    for t in ALL:
        await Authz().assert_allowed(t, ANONYMOUS)


@pytest_twisted.ensureDeferred
async def test_the_first_matching_rule_decides() -> None:
    authz = admin_authz(
        StopBuildEndpointMatcher(role="owner"),
        AnyControlEndpointMatcher(role="admins"),
    )
    await authz.assert_allowed(FORCE, ALICE)
    with pytest.raises(Forbidden) as refused:
        await authz.assert_allowed(FORCE, BOB)
    assert str(refused.value) == (
        "'force' on forceschedulers/f is not allowed for 'bob': it needs the role 'admins'"
    )
    # The stop rule matches first and needs 'owner': being an admin does not help.
    with pytest.raises(Forbidden):
        await authz.assert_allowed(STOP, ALICE)
    owned = target("builds/1", "stop", owners=["Bob <bob@example.org>"])
    await authz.assert_allowed(owned, BOB)
    await authz.assert_allowed(READ, ANONYMOUS)  # no rule matches reads


@pytest_twisted.ensureDeferred
async def test_default_deny_false_lets_the_next_rule_decide() -> None:
    authz = admin_authz(
        StopBuildEndpointMatcher(role="owner", defaultDeny=False),
        AnyControlEndpointMatcher(role="admins"),
    )
    await authz.assert_allowed(STOP, ALICE)  # not the owner, but an admin
    with pytest.raises(Forbidden):
        await authz.assert_allowed(STOP, BOB)
    lenient = admin_authz(ForceBuildEndpointMatcher(role="admins", defaultDeny=False))
    await lenient.assert_allowed(FORCE, BOB)  # no later rule: allowed


@pytest_twisted.ensureDeferred
async def test_anonymous_users_have_no_roles() -> None:
    authz = admin_authz(AnyEndpointMatcher(role="*"))
    await authz.assert_allowed(READ, ALICE)  # "*" matches any role: alice has 'admins'
    with pytest.raises(Forbidden) as refused:
        await authz.assert_allowed(READ, ANONYMOUS)
    assert str(refused.value) == (
        "reading builds/1 is not allowed for anonymous users: it needs the role '*'"
    )


@pytest_twisted.ensureDeferred
async def test_roles_are_compared_with_the_strings_matcher() -> None:
    globbing = admin_authz(AnyControlEndpointMatcher(role="adm*"))
    await globbing.assert_allowed(PAUSE, ALICE)
    regex = Authz(
        allowRules=[AnyControlEndpointMatcher(role="^(admins|ops)$")],
        roleMatchers=[RolesFromGroups(groupPrefix="ci-")],
        stringsMatcher=reStrMatcher,
    )
    await regex.assert_allowed(PAUSE, ALICE)
    with pytest.raises(Forbidden):
        await regex.assert_allowed(PAUSE, BOB)


def test_config_check_points_at_the_bad_rule_or_matcher() -> None:
    errors = ErrorCollector("master.cfg")
    bad_role = AnyEndpointMatcher(role=None)
    bad_role_line = bad_role.config_origin.lineno if bad_role.config_origin else None
    authz = Authz(
        allowRules=[bad_role, "admins", ForceBuildEndpointMatcher(builder=3, role="x")],
        roleMatchers=[RolesFromEmails(admins="a@example.org"), print],
    )
    authz_line = authz.config_origin.lineno if authz.config_origin else None
    authz.check_config(errors)

    found = [(e.lineno, e.message) for e in errors.errors]
    role_error = "AnyEndpointMatcher: role must be a non-empty str such as 'admins'"
    assert found[0] == (bad_role_line, role_error)
    assert found[1][0] == authz_line
    assert found[1][1].startswith("Authz allowRules #2 must be an endpoint matcher such as")
    assert "builder must be a builder name pattern" in found[2][1]
    assert "RolesFromEmails: admins= must be a list of email addresses" in found[3][1]
    assert found[4] == (
        authz_line,
        "Authz roleMatchers #2 must be a role matcher such as "
        "util.RolesFromGroups(groupPrefix='ci-'), not builtin_function_or_method",
    )
