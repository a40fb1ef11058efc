"""URLs in the config (database, Redis): shape checks, and hiding their passwords in messages.

Only the shape is checked; nothing is connected to. A URL quoted back to the
operator, in an error or a log line, always goes through ``hide_password``.
"""

from __future__ import annotations

import re

from marid.config.checks_base import must_be, suggestion

DB_BACKENDS = ("sqlite", "postgresql", "mysql", "mariadb")
REDIS_SCHEMES = ("redis://", "rediss://", "unix://")

_URL_SCHEME = re.compile(r"^(?P<backend>[a-z][a-z0-9]*)(\+[a-z0-9_]+)?://")
_PASSWORD_IN_URL = re.compile(r"(?P<scheme>[\w+]+://)(?P<user>[^:/@]*):[^@/]*@")


def hide_password(url: str) -> str:
    """``url`` with any password replaced by ``***``."""
    return _PASSWORD_IN_URL.sub(r"\g<scheme>\g<user>:***@", url)


def db_url_problem(url: object) -> str | None:
    """What is wrong with a database URL, or None. SQLAlchemy's ``backend+driver://`` form."""
    if not isinstance(url, str):
        return must_be("a str such as 'sqlite:///state.sqlite'", url)
    match = _URL_SCHEME.match(url)
    if match is None:
        return f"{hide_password(url)!r} is not a database URL such as 'sqlite:///state.sqlite'"
    backend = match["backend"]
    if backend not in DB_BACKENDS:
        return (
            f"unsupported database {backend!r}{suggestion(backend, DB_BACKENDS)}; "
            f"Marid supports {', '.join(DB_BACKENDS)}"
        )
    return None


def redis_url_problem(url: object) -> str | None:
    """What is wrong with a Redis URL, or None."""
    if isinstance(url, str) and url.startswith(REDIS_SCHEMES):
        return None
    shown = hide_password(url) if isinstance(url, str) else url
    return f"must be a redis://, rediss:// or unix:// URL, not {shown!r}"
