"""The errors the database package raises, each worded for an operator.

::

    DatabaseError                 anything wrong with the database itself
    ├── DatabaseURLError          c['db']['db_url'] cannot be parsed or names an unsupported backend
    ├── DatabaseUnavailable       a call could not be done now (disk full, locked past the timeout,
    │                             server unreachable); the same call may succeed later
    └── SchemaError               the schema is not the one this Marid expects
        ├── SchemaNotInitialized  no Marid schema at all
        ├── SchemaTooOld          an older schema: `marid upgrade-master` will migrate it
        └── SchemaTooNew          written by a newer Marid: this one must not touch it

``str()`` of each is one line that says what is wrong and what to do.
"""

from __future__ import annotations

import re

_UPGRADE_HINT = "run `marid upgrade-master DIR`"


class DatabaseError(Exception):
    """Base class of every error the database package raises on purpose."""


class DatabaseURLError(DatabaseError):
    """The database URL cannot be parsed, or names a backend Marid does not support."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = _hide_password(url)
        self.reason = reason
        super().__init__(f"bad database URL {self.url!r}: {reason}")


class DatabaseUnavailable(DatabaseError):
    """The database cannot serve this call now; ``reason`` says why in one line.

    Raised by the thread pool when a call failed for a reason outside Marid:
    the disk is full, a lock was held for longer than ``c['db']['timeout']``,
    the server cannot be reached. Nothing was stored (the transaction was
    rolled back), and the same call may succeed once the cause is gone. The
    web API answers it with 503; a finishing build retries its writes.
    """

    def __init__(self, reason: str) -> None:
        self.reason = reason
        super().__init__(f"the database is unavailable: {reason}")


class SchemaError(DatabaseError):
    """The database's schema is not the one this version of Marid works with."""


class SchemaNotInitialized(SchemaError):
    """The database has no Marid tables (not even the migration bookkeeping)."""

    def __init__(self) -> None:
        super().__init__(f"the database has no Marid schema; {_UPGRADE_HINT}")


class SchemaTooOld(SchemaError):
    """The schema is at an older revision than this Marid needs."""

    def __init__(self, current: str, head: str) -> None:
        self.current = current
        self.head = head
        super().__init__(
            f"the database schema is at revision {current}, this Marid needs {head}; "
            f"{_UPGRADE_HINT}"
        )


class SchemaTooNew(SchemaError):
    """The schema is at a revision this Marid does not know: a newer Marid wrote it."""

    def __init__(self, current: str, head: str) -> None:
        self.current = current
        self.head = head
        super().__init__(
            f"the database schema is from a newer Marid (revision {current} unknown to this "
            f"version, whose latest is {head}); run the newer Marid or restore a backup"
        )


def _hide_password(url: str) -> str:
    """``scheme://user:secret@host`` -> ``scheme://user:***@host``: messages end up in logs."""
    return re.sub(r"(//[^/?#@:]*:)[^/?#]*@", r"\1***@", url)
