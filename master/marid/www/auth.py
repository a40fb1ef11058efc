"""Who is using the web UI: the ``c['www']['auth']`` objects and the user info they produce.

``NoAuth`` (the default) has no users: everyone is anonymous.
``UserPasswordAuth`` and ``HTPasswdAuth`` check a name and password sent to
``/auth/login`` with HTTP Basic authentication; ``RemoteUserAuth`` trusts a
header set by an authenticating reverse proxy. Each accepts a
``userInfoProvider`` (an object with ``getUserInfo(username)``, as in
Buildbot) that adds ``email``, ``full_name`` and ``groups``.

A user is a JSON-ready dict, as Buildbot's ``userDetails``:
``{"username", "full_name", "email", "groups"}``; the anonymous user is
``{"anonymous": True}``. Constructors only store their arguments;
``check_config`` reports mistakes, with the line that built the object.
"""

from __future__ import annotations

import hashlib
import hmac
import inspect
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

from marid.config.origin import ConfigObject
from marid.www import htpasswd

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector

UserInfo = dict[str, Any]
ANONYMOUS: UserInfo = {"anonymous": True}
DEFAULT_HEADER_REGEX = r"(?P<username>[^ @]+)@(?P<realm>[^ @]+)"


def is_anonymous(user: Mapping[str, Any]) -> bool:
    return bool(user.get("anonymous")) or not user.get("username")


def _text(value: str | bytes) -> str:
    return value.decode("utf-8") if isinstance(value, bytes) else value


class UserInfoProviderBase(ConfigObject):
    """Base for ``userInfoProvider`` objects: ``getUserInfo(username)`` returns (or resolves
    to) a dict with any of ``email``, ``full_name`` and ``groups``."""

    def getUserInfo(self, username: str) -> Any:
        return {}


class AuthBase(ConfigObject):
    """What every ``c['www']['auth']`` object offers the web server."""

    # How the UI logs in: "none" (no login), "password" (Basic to /auth/login), "proxy".
    kind: ClassVar[str] = "none"
    # check_credentials reads files or hashes slowly: the server calls it in a thread.
    blocking: ClassVar[bool] = False

    def __init__(self, userInfoProvider: Any = None) -> None:
        self.userInfoProvider = userInfoProvider

    @property
    def name(self) -> str:
        return type(self).__name__

    def ui_config(self) -> dict[str, Any]:
        """What ``/config`` says about this authentication under ``"auth"``."""
        return {"name": self.name, "kind": self.kind}

    def check_credentials(self, username: str, password: bytes) -> bool:
        """Whether ``password`` is ``username``'s; only password kinds accept any."""
        return False

    async def user_info(self, username: str, known: Mapping[str, Any] | None = None) -> UserInfo:
        """The user dict for ``username``: ``known`` fields, then the provider's."""
        info: UserInfo = {"username": username, "full_name": username, "email": None, "groups": []}
        info.update(known or {})
        if self.userInfoProvider is not None:
            extra = self.userInfoProvider.getUserInfo(username)
            if inspect.isawaitable(extra):
                extra = await extra
            if isinstance(extra, Mapping):
                info.update({k: v for k, v in extra.items() if k != "username"})
        info["groups"] = [str(g) for g in info.get("groups") or []]
        return info

    def basedir_changed(self, basedir: str) -> None:
        """The master's directory, against which relative paths are read."""

    def check_config(self, errors: ErrorCollector) -> None:
        provider = self.userInfoProvider
        if provider is not None and not callable(getattr(provider, "getUserInfo", None)):
            errors.add(
                f"{self.name}: userInfoProvider must have a getUserInfo(username) method, "
                f"not be {type(provider).__name__}",
                about=self,
            )


class NoAuth(AuthBase):
    """No login: every visitor is anonymous (Buildbot's default)."""


class UserPasswordAuth(AuthBase):
    """Users and passwords written in ``master.cfg``: a dict or a list of (name, password)."""

    kind = "password"

    def __init__(self, users: Any, userInfoProvider: Any = None) -> None:
        super().__init__(userInfoProvider)
        self.users = users

    def _passwords(self) -> dict[str, bytes]:
        pairs = self.users.items() if isinstance(self.users, Mapping) else self.users
        return {_text(name): _text(pw).encode("utf-8") for name, pw in pairs}

    def check_credentials(self, username: str, password: bytes) -> bool:
        stored = self._passwords().get(username)
        # Compare digests so that neither the length nor the existence of a password shows
        # in the time taken.
        expected = stored if stored is not None else secrets.token_bytes(16)
        same = hmac.compare_digest(
            hashlib.sha256(password).digest(), hashlib.sha256(expected).digest()
        )
        return same and stored is not None

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        users = self.users
        if isinstance(users, Mapping):
            pairs = list(users.items())
        elif isinstance(users, list | tuple) and all(
            isinstance(p, list | tuple) and len(p) == 2 for p in users
        ):
            pairs = [tuple(p) for p in users]
        else:
            errors.add(
                "UserPasswordAuth needs a dict {name: password} or a list of (name, password)",
                about=self,
            )
            return
        for name, password in pairs:
            if not isinstance(name, str | bytes) or not name:
                errors.add(
                    f"UserPasswordAuth: user name {name!r} must be a non-empty str", about=self
                )
            elif ":" in _text(name):
                errors.add(f"UserPasswordAuth: user name {name!r} must not contain ':'", about=self)
            if not isinstance(password, str | bytes) or not password:
                errors.add(
                    f"UserPasswordAuth: the password of {name!r} must be a non-empty str",
                    about=self,
                )


class HTPasswdAuth(AuthBase):
    """Users of an Apache ``htpasswd`` file, read again at every login (bcrypt, apr1, SHA)."""

    kind = "password"
    blocking = True
    runtime_attributes = frozenset({"basedir"})

    def __init__(self, passwdFile: str | os.PathLike[str], userInfoProvider: Any = None) -> None:
        super().__init__(userInfoProvider)
        self.passwdFile = passwdFile
        self.basedir = "."

    def basedir_changed(self, basedir: str) -> None:
        self.basedir = basedir

    def path(self, basedir: str | None = None) -> Path:
        return Path(basedir if basedir is not None else self.basedir) / self.passwdFile

    def check_credentials(self, username: str, password: bytes) -> bool:
        for entry in htpasswd.read(self.path()):
            if entry.username == username:
                return htpasswd.check(entry.hashed, password)
        return False

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not isinstance(self.passwdFile, str | os.PathLike):
            errors.add("HTPasswdAuth: passwdFile must be a path (str)", about=self)
            return
        basedir = os.path.dirname(errors.config_file) if errors.config_file else None
        path = self.path(basedir)
        try:
            entries = htpasswd.read(path)
        except (OSError, UnicodeDecodeError) as error:
            errors.add(f"HTPasswdAuth: cannot read {path}: {error}", about=self)
            return
        seen: set[str] = set()
        for entry in entries:
            problem = htpasswd.problem_of(entry.hashed)
            if entry.username in seen:
                problem = problem or "repeats a user name; only the first line counts"
            seen.add(entry.username)
            if problem:
                errors.add(
                    f"HTPasswdAuth: {path}:{entry.lineno}: user {entry.username!r} {problem}",
                    about=self,
                )


class RemoteUserAuth(AuthBase):
    """The user a reverse proxy authenticated, from a request header it sets on every request.

    The proxy must be the only way to reach the master, and must overwrite the
    header: whoever can send it directly can be anyone.
    """

    kind = "proxy"

    def __init__(
        self,
        header: str | bytes = b"REMOTE_USER",
        headerRegex: str | bytes | re.Pattern[str] = DEFAULT_HEADER_REGEX,
        userInfoProvider: Any = None,
    ) -> None:
        super().__init__(userInfoProvider)
        self.header = header
        self.headerRegex = headerRegex

    def header_name(self) -> str:
        return _text(self.header)

    def pattern(self) -> re.Pattern[str]:
        if isinstance(self.headerRegex, re.Pattern):
            return self.headerRegex
        return re.compile(_text(self.headerRegex))

    def parse_header(self, value: str | None) -> UserInfo | str:
        """The fields the header names (``username``...), or why it names nobody."""
        if value is None:
            return (
                f"this master expects an authenticating proxy to set the {self.header_name()} "
                "header, and the request has none"
            )
        match = self.pattern().match(value)
        if match is None or not match.groupdict().get("username"):
            return (
                f"the {self.header_name()} header does not name a user "
                "in a form this master accepts (headerRegex)"
            )
        fields = match.groupdict()
        return {k: fields[k] for k in ("username", "full_name", "email") if fields.get(k)}

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not isinstance(self.header, str | bytes) or not self.header:
            errors.add(
                "RemoteUserAuth: header must be a header name such as 'REMOTE_USER'", about=self
            )
        if not isinstance(self.headerRegex, str | bytes | re.Pattern):
            errors.add("RemoteUserAuth: headerRegex must be a regular expression", about=self)
            return
        try:
            pattern = self.pattern()
        except (re.error, UnicodeDecodeError) as error:
            errors.add(
                f"RemoteUserAuth: headerRegex is not a valid expression: {error}", about=self
            )
            return
        if "username" not in pattern.groupindex:
            errors.add(
                "RemoteUserAuth: headerRegex needs a group named 'username', as in "
                "'(?P<username>[^ @]+)'",
                about=self,
            )
