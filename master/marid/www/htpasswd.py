"""Apache ``htpasswd`` files: parsing them and checking a password against an entry.

Accepted hash formats, as ``htpasswd`` writes them:

- bcrypt (``htpasswd -B``): ``$2y$``, ``$2b$`` or ``$2a$``, checked with the
  ``bcrypt`` package. Like Apache, only the first 72 bytes of a password count.
- Apache MD5 (``htpasswd -m``, the default of older versions): ``$apr1$``,
  implemented here from the published MD5-crypt algorithm; ``$1$`` (the same
  algorithm with another prefix, from ``openssl passwd -1``) as well.
- SHA-1 (``htpasswd -s``): ``{SHA}`` and the base64 of the digest.

Plain-text passwords (``htpasswd -p``) and DES ``crypt(3)`` hashes are refused:
a plain line cannot be told apart from a DES hash, and neither is safe to
keep. ``problem_of`` says so for such a line, and ``check`` never accepts it.

Every comparison is constant-time. Checking a bcrypt hash is slow on purpose;
callers run ``check`` off the reactor thread.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass
from pathlib import Path

import bcrypt

BCRYPT_PREFIXES = ("$2y$", "$2b$", "$2a$")
MD5_CRYPT_PREFIXES = ("$apr1$", "$1$")
SHA_PREFIX = "{SHA}"
# bcrypt ignores what follows the 72nd byte; the bcrypt package refuses longer input instead.
BCRYPT_MAX_BYTES = 72

_ITOA64 = "./0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
# Which digest bytes MD5-crypt packs into each group of four output characters.
_MD5_GROUPS = ((0, 6, 12), (1, 7, 13), (2, 8, 14), (3, 9, 15), (4, 10, 5))


@dataclass(frozen=True)
class Entry:
    """One ``name:hash`` line; ``lineno`` counts from 1."""

    username: str
    hashed: str
    lineno: int


def parse(text: str) -> list[Entry]:
    """The entries of an htpasswd file; blank lines and ``#`` comments are skipped."""
    entries = []
    for lineno, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        username, _, hashed = line.partition(":")
        entries.append(Entry(username, hashed, lineno))
    return entries


def read(path: str | Path) -> list[Entry]:
    return parse(Path(path).read_text(encoding="utf-8"))


def problem_of(hashed: str) -> str | None:
    """Why ``hashed`` cannot be used, or None when it is in an accepted format."""
    if not hashed:
        return "has no password hash (a line must be 'name:hash')"
    if hashed.startswith(BCRYPT_PREFIXES):
        return None if len(hashed) == 60 else "has a truncated bcrypt hash"
    if hashed.startswith(MD5_CRYPT_PREFIXES):
        return None if hashed.count("$") == 3 else "has a malformed MD5 hash"
    if hashed.startswith(SHA_PREFIX):
        return None
    if hashed.startswith("$"):
        scheme = hashed.split("$")[1]
        return (
            f"uses the hash scheme ${scheme}$, which Marid does not accept; "
            "regenerate it with 'htpasswd -B' (bcrypt)"
        )
    return (
        "has a plain-text or crypt(3) password, which Marid refuses; "
        "regenerate it with 'htpasswd -B' (bcrypt)"
    )


def check(hashed: str, password: bytes) -> bool:
    """Whether ``password`` matches the entry's hash; False for refused formats."""
    if problem_of(hashed) is not None:
        return False
    if hashed.startswith(BCRYPT_PREFIXES):
        try:
            return bcrypt.checkpw(password[:BCRYPT_MAX_BYTES], hashed.encode("ascii"))
        except ValueError:  # a hash with an invalid salt or cost
            return False
    if hashed.startswith(SHA_PREFIX):
        digest = base64.b64encode(hashlib.sha1(password).digest()).decode("ascii")
        return hmac.compare_digest(digest, hashed[len(SHA_PREFIX) :])
    magic = "$apr1$" if hashed.startswith("$apr1$") else "$1$"
    salt = hashed[len(magic) :].split("$", 1)[0]
    computed = md5_crypt(password, salt.encode("ascii", "replace"), magic.encode("ascii"))
    return hmac.compare_digest(computed.encode("ascii"), hashed.encode("ascii", "replace"))


def sha_hash(password: bytes) -> str:
    """An ``htpasswd -s`` entry's hash for ``password``."""
    return SHA_PREFIX + base64.b64encode(hashlib.sha1(password).digest()).decode("ascii")


def md5_crypt(password: bytes, salt: bytes, magic: bytes = b"$apr1$") -> str:
    """MD5-crypt of ``password``: ``magic`` + salt (8 bytes at most) + ``$`` + 22 characters.

    With ``magic=b"$apr1$"`` this is Apache's ``htpasswd -m``; with ``b"$1$"``
    it is the FreeBSD/glibc ``crypt`` MD5 scheme.
    """
    salt = salt[:8]
    alternate = hashlib.md5(password + salt + password).digest()
    context = password + magic + salt
    for remaining in range(len(password), 0, -16):
        context += alternate[: min(16, remaining)]
    length = len(password)
    while length:
        context += b"\x00" if length & 1 else password[:1]
        length >>= 1
    digest = hashlib.md5(context).digest()
    # 1000 rounds: the algorithm's (modest) cost.
    for round_number in range(1000):
        mixed = password if round_number & 1 else digest
        if round_number % 3:
            mixed += salt
        if round_number % 7:
            mixed += password
        mixed += digest if round_number & 1 else password
        digest = hashlib.md5(mixed).digest()
    encoded = "".join(
        _to64((digest[a] << 16) | (digest[b] << 8) | digest[c], 4) for a, b, c in _MD5_GROUPS
    )
    encoded += _to64(digest[11], 2)
    return f"{magic.decode('ascii')}{salt.decode('ascii', 'replace')}${encoded}"


def _to64(value: int, count: int) -> str:
    out = []
    for _ in range(count):
        out.append(_ITOA64[value & 0x3F])
        value >>= 6
    return "".join(out)
