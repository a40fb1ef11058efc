"""Signed session cookies: what verifies, what is ignored, and the secret kept in the database."""

from __future__ import annotations

from typing import Any

import pytest_twisted

from marid.www.session import SessionCodec, load_secret

SECRET = b"s" * 32
NOW = 1_700_000_000.0
USER = {"username": "alice", "full_name": "Alice", "email": None, "groups": ["dev"]}


def test_a_session_round_trips_through_its_cookie() -> None:
    codec = SessionCodec(SECRET)
    session = codec.new(USER, "UserPasswordAuth", NOW + 60)
    decoded = codec.decode(codec.encode(session), NOW, "UserPasswordAuth")
    assert decoded == session
    assert decoded is not None and not decoded.anonymous


def test_tampered_cookies_are_ignored() -> None:
    codec = SessionCodec(SECRET)
    cookie = codec.encode(codec.new(USER, "UserPasswordAuth", NOW + 60))
    body, signature = cookie.split(".")
    admin = {**USER, "groups": ["admins"]}
    forged = SessionCodec(b"x" * 32).encode(codec.new(admin, "UserPasswordAuth", NOW + 60))
    flipped = body[:-2] + ("A" if body[-2] != "A" else "B") + body[-1]
    for bad in (f"{flipped}.{signature}", f"{body}.{signature[:-1]}", forged, body, "", "a.b.c"):
        assert codec.decode(bad, NOW, "UserPasswordAuth") is None, bad


def test_expired_sessions_and_sessions_of_another_auth_are_ignored() -> None:
    codec = SessionCodec(SECRET)
    cookie = codec.encode(codec.new(USER, "UserPasswordAuth", NOW + 60))
    assert codec.decode(cookie, NOW + 60, "UserPasswordAuth") is None
    assert codec.decode(cookie, NOW, "HTPasswdAuth") is None


def test_csrf_tokens_are_bound_to_one_session() -> None:
    codec = SessionCodec(SECRET)
    one = codec.new(None, "UserPasswordAuth", NOW + 60)
    two = codec.new(None, "UserPasswordAuth", NOW + 60)
    assert codec.csrf_matches(one, codec.csrf_token(one))
    assert not codec.csrf_matches(two, codec.csrf_token(one))
    assert not codec.csrf_matches(one, "")


class FakeState:
    """The state component's contract, in memory."""

    def __init__(self) -> None:
        self.values: dict[tuple[int, str], Any] = {}

    async def get_object_id(self, name: str, class_name: str) -> int:
        return 7

    async def get_state(self, objectid: int, name: str, default: Any = KeyError) -> Any:
        if (objectid, name) not in self.values:
            if default is KeyError:
                raise KeyError(name)
            return default
        return self.values[(objectid, name)]

    async def set_state(self, objectid: int, name: str, value: Any) -> None:
        self.values[(objectid, name)] = value


@pytest_twisted.ensureDeferred
async def test_the_secret_is_made_once_and_then_reused() -> None:
    state = FakeState()
    first = await load_secret(state)
    assert len(first) == 32
    assert await load_secret(state) == first
