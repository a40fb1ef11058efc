"""Role matchers: the roles a user has, for ``Authz(roleMatchers=[...])``.

A role matcher's ``getRolesFromUser(user)`` returns role names for a user
dict (``username``, ``email``, ``groups``...), as in Buildbot, so a custom
matcher written for Buildbot keeps working. ``RolesFromOwner`` is special:
it is asked per build, with the build's owner, through
``getRolesFromUser(user, owner)``. Anonymous users get no roles at all.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from marid.config.origin import ConfigObject

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector

_ADDRESS = re.compile(r"<([^<>\s]+@[^<>\s]+)>\s*$")


def _str_list(value: object) -> bool:
    return isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)


class RoleMatcherBase(ConfigObject):
    def getRolesFromUser(self, userDetails: Mapping[str, Any]) -> list[str]:
        return []


class RolesFromGroups(RoleMatcherBase):
    """Each of the user's groups that starts with ``groupPrefix`` is a role (prefix removed)."""

    def __init__(self, groupPrefix: str = "") -> None:
        self.groupPrefix = groupPrefix

    def getRolesFromUser(self, userDetails: Mapping[str, Any]) -> list[str]:
        prefix = self.groupPrefix
        groups = userDetails.get("groups") or []
        return [g[len(prefix) :] for g in groups if isinstance(g, str) and g.startswith(prefix)]

    def check_config(self, errors: ErrorCollector) -> None:
        if not isinstance(self.groupPrefix, str):
            errors.add("RolesFromGroups: groupPrefix must be a str", about=self)


class RolesFromEmails(RoleMatcherBase):
    """``RolesFromEmails(admins=["a@example.org"], developers=[...])``: roles by email address."""

    def __init__(self, **roles: Sequence[str]) -> None:
        self.roles = dict(roles)

    def getRolesFromUser(self, userDetails: Mapping[str, Any]) -> list[str]:
        email = userDetails.get("email")
        if not email:
            return []
        return [role for role, emails in self.roles.items() if email in emails]

    def check_config(self, errors: ErrorCollector) -> None:
        for role, emails in self.roles.items():
            if not _str_list(emails):
                errors.add(
                    f"RolesFromEmails: {role}= must be a list of email addresses", about=self
                )


class RolesFromUsername(RoleMatcherBase):
    """Users named in ``usernames`` have every role in ``roles``."""

    def __init__(self, roles: Sequence[str] | str, usernames: Sequence[str] | str) -> None:
        self.roles = [roles] if isinstance(roles, str) else roles
        self.usernames = [usernames] if isinstance(usernames, str) else usernames

    def getRolesFromUser(self, userDetails: Mapping[str, Any]) -> list[str]:
        if userDetails.get("username") in self.usernames:
            return list(self.roles)
        return []

    def check_config(self, errors: ErrorCollector) -> None:
        if not _str_list(self.roles):
            errors.add("RolesFromUsername: roles must be a list of role names", about=self)
        if not _str_list(self.usernames):
            errors.add("RolesFromUsername: usernames must be a list of user names", about=self)


class RolesFromOwner(RoleMatcherBase):
    """``role`` for the owner of the build or build request a request is about.

    The owner is the build's ``owner`` property (set by a force to the user who
    forced it) or an entry of its buildset's ``owners``. It names the user by
    email address, by ``"Full Name <address>"``, or by user name.
    """

    def __init__(self, role: str) -> None:
        self.role = role

    def getRolesFromUser(
        self, userDetails: Mapping[str, Any], owner: str | None = None
    ) -> list[str]:
        if not owner:
            return []
        match = _ADDRESS.search(owner)
        address = match.group(1) if match else owner.strip()
        mine = {userDetails.get("email"), userDetails.get("username")} - {None, ""}
        return [self.role] if address in mine or owner in mine else []

    def check_config(self, errors: ErrorCollector) -> None:
        if not isinstance(self.role, str) or not self.role:
            errors.add("RolesFromOwner: role must be a non-empty str such as 'owner'", about=self)
