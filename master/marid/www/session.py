"""Web sessions in a signed cookie, and the secret that signs them.

A session is ``{"sid", "user", "auth", "exp"}``: a random id, the logged-in
user's info (None while anonymous), the name of the auth that logged them in
and the time it expires. The cookie carries it in the clear, as
``base64url(json) "." base64url(HMAC-SHA256(secret, base64url(json)))``; the
master keeps no session table. A cookie whose signature does not verify,
that has expired, or that another auth kind issued decodes to None, so the
request is anonymous.

The CSRF token of a session is derived from its id with the same secret, so
it needs no storage either and dies with the session.

The secret (32 random bytes) is made once and kept in the database's state
table (object ``("www", "WWWService")``, value ``session_secret``), so every
master on a shared database accepts the same cookies and a restart logs
nobody out. Because cookies are not stored, one cannot be revoked before it
expires except by deleting that state value, which logs everyone out.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from typing import Any

from marid.db.state import StateComponent

COOKIE_NAME = b"marid_session"
STATE_OBJECT = ("www", "WWWService")
STATE_NAME = "session_secret"
SECRET_BYTES = 32


@dataclass(frozen=True)
class Session:
    sid: str
    user: dict[str, Any] | None
    auth: str
    expires: float

    @property
    def anonymous(self) -> bool:
        return self.user is None


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class SessionCodec:
    """Signs and checks session cookies with one secret."""

    def __init__(self, secret: bytes):
        if len(secret) < 16:
            raise ValueError("a session secret needs at least 16 bytes")
        self._secret = secret

    def new(self, user: dict[str, Any] | None, auth: str, expires: float) -> Session:
        return Session(secrets.token_urlsafe(18), user, auth, expires)

    def encode(self, session: Session) -> str:
        payload: dict[str, Any] = {
            "sid": session.sid,
            "user": session.user,
            "auth": session.auth,
            "exp": session.expires,
        }
        body = _b64(json.dumps(payload, separators=(",", ":")).encode("utf-8"))
        return f"{body}.{self._sign(b'session:' + body.encode('ascii'))}"

    def decode(self, cookie: str, now: float, auth: str) -> Session | None:
        """The session in ``cookie``; None if forged, expired, malformed or from another auth."""
        body, dot, signature = cookie.partition(".")
        if not dot or not body.isascii() or not signature.isascii():
            return None
        expected = self._sign(b"session:" + body.encode("ascii"))
        if not hmac.compare_digest(expected.encode("ascii"), signature.encode("ascii")):
            return None
        try:
            payload = json.loads(_unb64(body))
        except (ValueError, binascii.Error):
            return None
        if not isinstance(payload, dict):
            return None
        sid, user, issuer, expires = (payload.get(k) for k in ("sid", "user", "auth", "exp"))
        if not isinstance(sid, str) or not isinstance(expires, int | float):
            return None
        if user is not None and not isinstance(user, dict):
            return None
        if issuer != auth or expires <= now:
            return None
        return Session(sid, user, auth, float(expires))

    def csrf_token(self, session: Session) -> str:
        return self._sign(b"csrf:" + session.sid.encode("ascii"))

    def csrf_matches(self, session: Session, token: str) -> bool:
        return hmac.compare_digest(self.csrf_token(session).encode(), token.encode("utf-8"))

    def _sign(self, message: bytes) -> str:
        return _b64(hmac.new(self._secret, message, hashlib.sha256).digest())


async def load_secret(state: StateComponent) -> bytes:
    """The master's session secret, made and stored on first use."""
    objectid = await state.get_object_id(*STATE_OBJECT)
    stored = await state.get_state(objectid, STATE_NAME, None)
    if not isinstance(stored, str):
        await state.set_state(objectid, STATE_NAME, secrets.token_hex(SECRET_BYTES))
        # Read back what was stored. Two masters making the secret at the same moment on a new
        # database may still end up with different ones until the loser restarts; its users
        # would then have to log in again when they switch masters.
        stored = await state.get_state(objectid, STATE_NAME)
    return bytes.fromhex(stored)
