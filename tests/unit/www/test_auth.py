"""The auth objects: credentials, user info, the proxy header, and their config checks."""

from __future__ import annotations

from typing import Any

import pytest_twisted
from twisted.internet import defer

from marid.config.errors import ErrorCollector
from marid.www.auth import NoAuth, RemoteUserAuth, UserInfoProviderBase, UserPasswordAuth


class Directory(UserInfoProviderBase):
    """A provider answering the way its subclass says: dict, Deferred or coroutine."""

    def __init__(self, style: str) -> None:
        self.style = style

    def getUserInfo(self, username: str) -> Any:
        info = {"email": f"{username}@example.org", "groups": ["ci-admins", "staff"]}
        if self.style == "deferred":
            return defer.succeed(info)
        if self.style == "coroutine":

            async def answer() -> dict[str, Any]:
                return info

            return answer()
        return info


def test_user_password_auth_takes_a_dict_or_pairs_of_str_or_bytes() -> None:
    for users in ({"alice": "pw", b"bob": b"pw2"}, [("alice", b"pw"), (b"bob", "pw2")]):
        auth = UserPasswordAuth(users)
        assert auth.check_credentials("alice", b"pw")
        assert auth.check_credentials("bob", b"pw2")
        assert not auth.check_credentials("alice", b"pw2")
        assert not auth.check_credentials("carol", b"pw")
        assert not auth.check_credentials("alice", b"")


def test_no_auth_accepts_no_credentials() -> None:
    assert not NoAuth().check_credentials("alice", b"pw")
    assert NoAuth().ui_config() == {"name": "NoAuth", "kind": "none"}


@pytest_twisted.ensureDeferred
async def test_user_password_users_have_no_groups_without_a_provider() -> None:
    info = await UserPasswordAuth({"alice": "pw"}).user_info("alice")
    assert info == {"username": "alice", "full_name": "alice", "email": None, "groups": []}


@pytest_twisted.ensureDeferred
async def test_a_provider_adds_email_and_groups_however_it_answers() -> None:
    for style in ("dict", "deferred", "coroutine"):
        auth = UserPasswordAuth({"alice": "pw"}, userInfoProvider=Directory(style))
        info = await auth.user_info("alice")
        assert info["email"] == "alice@example.org", style
        assert info["groups"] == ["ci-admins", "staff"], style
        assert info["username"] == "alice"


def test_remote_user_header_follows_buildbots_default_form() -> None:
    auth = RemoteUserAuth()
    assert auth.header_name() == "REMOTE_USER"
    assert auth.parse_header("alice@EXAMPLE.ORG") == {"username": "alice"}
    assert "does not name a user" in str(auth.parse_header("alice"))
    assert "has none" in str(auth.parse_header(None))


def test_remote_user_regex_may_take_plain_names_and_emails() -> None:
    auth = RemoteUserAuth(header="X-Forwarded-User", headerRegex=r"(?P<username>[^ @]+)$")
    assert auth.parse_header("alice") == {"username": "alice"}
    with_email = RemoteUserAuth(headerRegex=rb"(?P<email>(?P<username>[^@]+)@.+)")
    assert with_email.parse_header("bob@example.org") == {
        "username": "bob",
        "email": "bob@example.org",
    }


def check(obj: Any) -> list[str]:
    errors = ErrorCollector("master.cfg")
    obj.check_config(errors)
    assert all(e.filename == __file__ for e in errors.errors)  # each points at its line here
    return [e.message for e in errors.errors]


def test_config_checks_report_bad_arguments() -> None:
    assert check(UserPasswordAuth({"alice": "pw"})) == []
    assert check(UserPasswordAuth("alice:pw")) == [
        "UserPasswordAuth needs a dict {name: password} or a list of (name, password)"
    ]
    assert check(UserPasswordAuth({"a:b": "pw", "c": ""})) == [
        "UserPasswordAuth: user name 'a:b' must not contain ':'",
        "UserPasswordAuth: the password of 'c' must be a non-empty str",
    ]
    assert check(RemoteUserAuth(headerRegex=r"(?P<user>.+)")) == [
        "RemoteUserAuth: headerRegex needs a group named 'username', as in '(?P<username>[^ @]+)'"
    ]
    assert "not a valid expression" in check(RemoteUserAuth(headerRegex="("))[0]
    assert check(NoAuth(userInfoProvider=object())) == [
        "NoAuth: userInfoProvider must have a getUserInfo(username) method, not be object"
    ]
