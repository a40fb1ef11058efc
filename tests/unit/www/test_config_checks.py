"""``c['www']['auth']``, ``['authz']`` and ``['cookie_expiration_time']`` in a master.cfg:
what is accepted, and each mistake reported with the line that made it."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from marid.www.auth import UserPasswordAuth
from marid.www.authz import Authz
from tests.unit.config.configs import config_with, errors_of, load

HEADER = "from marid.plugins import util\n"


def test_auth_and_authz_objects_are_carried(tmp_path: Path) -> None:
    config = load(
        tmp_path,
        config_with(
            """
            import datetime
            from marid.plugins import util
            c['www'] = {
                'auth': util.UserPasswordAuth({'admin': 'pw'}),
                'authz': util.Authz(allowRules=[util.AnyControlEndpointMatcher(role='admins')]),
                'cookie_expiration_time': datetime.timedelta(hours=8),
            }
            """
        ),
    )
    assert isinstance(config.www.auth, UserPasswordAuth)
    assert isinstance(config.www.authz, Authz)
    assert config.www.cookie_expiration_time == timedelta(hours=8)


@pytest.mark.parametrize(
    ("line", "message"),
    [
        (
            "c['www'] = {'auth': 'admin:pw'}",
            "'auth' must be an auth object such as util.UserPasswordAuth({'admin': 'pw'}), not str",
        ),
        (
            "c['www'] = {'auth': util.UserPasswordAuth}",
            "'auth' must be an auth object such as util.UserPasswordAuth({'admin': 'pw'}), "
            "not type",
        ),
        (
            "c['www'] = {'authz': [util.AnyEndpointMatcher(role='admins')]}",
            "'authz' must be util.Authz(allowRules=[...], roleMatchers=[...]), not list",
        ),
        (
            "c['www'] = {'cookie_expiration_time': 3600}",
            "'cookie_expiration_time' must be a timedelta such as datetime.timedelta(hours=8), "
            "not int",
        ),
    ],
)
def test_wrong_types_are_reported(tmp_path: Path, line: str, message: str) -> None:
    (error,) = errors_of(tmp_path, config_with(HEADER + line))
    assert (error.key, error.lineno, error.message) == ("www", 3, message)


def test_a_zero_cookie_lifetime_is_refused(tmp_path: Path) -> None:
    body = HEADER + "import datetime\nc['www'] = {'cookie_expiration_time': datetime.timedelta(0)}"
    (error,) = errors_of(tmp_path, config_with(body))
    assert error.message == "'cookie_expiration_time': must be longer than zero, not 0:00:00"


def test_bad_rules_and_role_matchers_point_at_their_lines(tmp_path: Path) -> None:
    errors = errors_of(
        tmp_path,
        config_with(
            """
            from marid.plugins import util
            authz = util.Authz(
                allowRules=[
                    util.AnyEndpointMatcher(role='admins'),
                    util.ForceBuildEndpointMatcher(builder=['a'], role='devs'),
                    'admins',
                ],
                roleMatchers=[util.RolesFromGroups(groupPrefix=None)],
            )
            c['www'] = {'authz': authz, 'auth': util.RemoteUserAuth(headerRegex='(?P<u>.*)')}
            """
        ),
    )
    found = [(e.key, e.lineno, e.message) for e in errors]  # sorted by line
    assert found == [
        (
            "www",
            3,
            "Authz allowRules #3 must be an endpoint matcher such as "
            "util.AnyEndpointMatcher(role='admins'), not str",
        ),
        (
            "www",
            6,
            "ForceBuildEndpointMatcher: builder must be a builder name pattern (str) or None",
        ),
        ("www", 9, "RolesFromGroups: groupPrefix must be a str"),
        (
            "www",
            11,
            "RemoteUserAuth: headerRegex needs a group named 'username', "
            "as in '(?P<username>[^ @]+)'",
        ),
    ]
