"""The database schema: every table Marid stores, as SQLAlchemy Core.

This module is the single source of truth for the schema. Alembic migrations
under ``db/migrations/`` must produce exactly these tables; a test compares
them. Constraint names follow ``NAMING_CONVENTION`` so migrations can refer to
them on every backend.

Portability rules kept here:
- Indexed or unique string columns are ``String(n)`` with ``n`` small enough for
  MariaDB's 3072-byte index limit in utf8mb4; long free text is ``Text``.
- Long names that must be unique are stored with a ``*_hash`` column (sha1 hex)
  that carries the unique constraint.
- Timestamps are integer seconds since the epoch, as Buildbot's REST API shows.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.dialects import mysql

NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)

# A large binary that MySQL stores as LONGBLOB rather than 64 KiB BLOB. A
# ``mariadb://`` URL names its dialect "mariadb", so each variant names both.
LargeBinary = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")
# Free text that may be long (JSON, comments): MEDIUMTEXT on MySQL.
LongText = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")


def _id() -> sa.Column[int]:
    return sa.Column("id", sa.Integer, primary_key=True, autoincrement=True)


def _fk(
    name: str, target: str, *, nullable: bool = False, ondelete: str | None = "CASCADE"
) -> sa.Column[int]:
    return sa.Column(name, sa.Integer, sa.ForeignKey(target, ondelete=ondelete), nullable=nullable)


# -- masters ---------------------------------------------------------------

masters = sa.Table(
    "masters",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
    sa.Column("active", sa.Integer, nullable=False),
    sa.Column("last_active", sa.Integer, nullable=False),
)

# -- projects and builders ---------------------------------------------------

projects = sa.Table(
    "projects",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
    sa.Column("slug", sa.String(50), nullable=False),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("description_format", sa.Text, nullable=True),
    sa.Column("description_html", sa.Text, nullable=True),
)

builders = sa.Table(
    "builders",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
    _fk("projectid", "projects.id", nullable=True, ondelete="SET NULL"),
    sa.Column("description", sa.Text, nullable=True),
    sa.Column("description_format", sa.Text, nullable=True),
    sa.Column("description_html", sa.Text, nullable=True),
)

tags = sa.Table(
    "tags",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
)

builders_tags = sa.Table(
    "builders_tags",
    metadata,
    _id(),
    _fk("builderid", "builders.id"),
    _fk("tagid", "tags.id"),
    sa.UniqueConstraint("builderid", "tagid"),
    sa.Index(None, "tagid"),
)

builder_masters = sa.Table(
    "builder_masters",
    metadata,
    _id(),
    _fk("builderid", "builders.id"),
    _fk("masterid", "masters.id"),
    sa.UniqueConstraint("builderid", "masterid"),
    sa.Index(None, "masterid"),
)

# -- workers -----------------------------------------------------------------

workers = sa.Table(
    "workers",
    metadata,
    _id(),
    sa.Column("name", sa.String(50), nullable=False, unique=True),
    sa.Column("info", LongText, nullable=False),
    sa.Column("paused", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("pause_reason", sa.Text, nullable=True),
    sa.Column("graceful", sa.SmallInteger, nullable=False, server_default="0"),
)

configured_workers = sa.Table(
    "configured_workers",
    metadata,
    _id(),
    _fk("buildermasterid", "builder_masters.id"),
    _fk("workerid", "workers.id"),
    sa.UniqueConstraint("buildermasterid", "workerid"),
    sa.Index(None, "workerid"),
)

connected_workers = sa.Table(
    "connected_workers",
    metadata,
    _id(),
    _fk("masterid", "masters.id"),
    _fk("workerid", "workers.id"),
    sa.UniqueConstraint("masterid", "workerid"),
    sa.Index(None, "workerid"),
)

# -- schedulers and change sources -------------------------------------------

schedulers = sa.Table(
    "schedulers",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
    sa.Column("enabled", sa.SmallInteger, nullable=False, server_default="1"),
)

# The row is the claim: a scheduler runs on at most one master at a time.
scheduler_masters = sa.Table(
    "scheduler_masters",
    metadata,
    sa.Column(
        "schedulerid",
        sa.Integer,
        sa.ForeignKey("schedulers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _fk("masterid", "masters.id"),
    sa.Index(None, "masterid"),
)

changesources = sa.Table(
    "changesources",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("name_hash", sa.String(40), nullable=False, unique=True),
)

changesource_masters = sa.Table(
    "changesource_masters",
    metadata,
    sa.Column(
        "changesourceid",
        sa.Integer,
        sa.ForeignKey("changesources.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    _fk("masterid", "masters.id"),
    sa.Index(None, "masterid"),
)

# -- users -------------------------------------------------------------------

users = sa.Table(
    "users",
    metadata,
    sa.Column("uid", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("identifier", sa.String(255), nullable=False, unique=True),
    sa.Column("bb_username", sa.String(128), nullable=True, unique=True),
    sa.Column("bb_password", sa.String(128), nullable=True),
)

users_info = sa.Table(
    "users_info",
    metadata,
    sa.Column("uid", sa.Integer, sa.ForeignKey("users.uid", ondelete="CASCADE"), nullable=False),
    sa.Column("attr_type", sa.String(128), nullable=False),
    sa.Column("attr_data", sa.String(128), nullable=False),
    sa.PrimaryKeyConstraint("uid", "attr_type"),
)

# -- source stamps and changes -----------------------------------------------

patches = sa.Table(
    "patches",
    metadata,
    _id(),
    sa.Column("patchlevel", sa.Integer, nullable=False),
    sa.Column("patch_base64", LongText, nullable=False),
    sa.Column("patch_author", sa.Text, nullable=True),
    sa.Column("patch_comment", sa.Text, nullable=True),
    sa.Column("subdir", sa.Text, nullable=True),
)

sourcestamps = sa.Table(
    "sourcestamps",
    metadata,
    _id(),
    # sha1 over (branch, revision, repository, project, codebase, patchid): one row per stamp.
    sa.Column("ss_hash", sa.String(40), nullable=False, unique=True),
    sa.Column("branch", sa.String(256), nullable=True),
    sa.Column("revision", sa.String(256), nullable=True),
    _fk("patchid", "patches.id", nullable=True),
    sa.Column("repository", sa.String(512), nullable=False, server_default=""),
    sa.Column("codebase", sa.String(256), nullable=False, server_default=""),
    sa.Column("project", sa.String(512), nullable=False, server_default=""),
    sa.Column("created_at", sa.Integer, nullable=False),
)

changes = sa.Table(
    "changes",
    metadata,
    sa.Column("changeid", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("author", sa.String(255), nullable=False),
    sa.Column("committer", sa.String(255), nullable=True),
    sa.Column("comments", LongText, nullable=False),
    sa.Column("branch", sa.String(255), nullable=True),
    sa.Column("revision", sa.String(255), nullable=True),
    sa.Column("revlink", sa.String(256), nullable=True),
    sa.Column("when_timestamp", sa.Integer, nullable=False),
    sa.Column("category", sa.String(255), nullable=True),
    sa.Column("repository", sa.String(512), nullable=False, server_default=""),
    sa.Column("codebase", sa.String(256), nullable=False, server_default=""),
    sa.Column("project", sa.String(512), nullable=False, server_default=""),
    _fk("sourcestampid", "sourcestamps.id"),
    sa.Column(
        "parent_changeids",
        sa.Integer,
        sa.ForeignKey("changes.changeid", ondelete="SET NULL"),
        nullable=True,
    ),
    sa.Index(None, "branch"),
    sa.Index(None, "revision"),
    sa.Index(None, "author"),
    sa.Index(None, "category"),
    sa.Index(None, "when_timestamp"),
    sa.Index(None, "sourcestampid"),
    sa.Index(None, "parent_changeids"),
)

change_files = sa.Table(
    "change_files",
    metadata,
    sa.Column(
        "changeid",
        sa.Integer,
        sa.ForeignKey("changes.changeid", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("filename", sa.String(1024), nullable=False),
    sa.Index(None, "changeid"),
)

change_properties = sa.Table(
    "change_properties",
    metadata,
    sa.Column(
        "changeid",
        sa.Integer,
        sa.ForeignKey("changes.changeid", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("property_name", sa.String(256), nullable=False),
    sa.Column("property_value", LongText, nullable=False),
    sa.Index(None, "changeid"),
)

change_users = sa.Table(
    "change_users",
    metadata,
    sa.Column(
        "changeid",
        sa.Integer,
        sa.ForeignKey("changes.changeid", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("uid", sa.Integer, sa.ForeignKey("users.uid", ondelete="CASCADE"), nullable=False),
    sa.Index(None, "changeid"),
    sa.Index(None, "uid"),
)

scheduler_changes = sa.Table(
    "scheduler_changes",
    metadata,
    _fk("schedulerid", "schedulers.id"),
    sa.Column(
        "changeid",
        sa.Integer,
        sa.ForeignKey("changes.changeid", ondelete="CASCADE"),
        nullable=False,
    ),
    sa.Column("important", sa.SmallInteger, nullable=True),
    sa.UniqueConstraint("schedulerid", "changeid"),
    sa.Index(None, "changeid"),
)

# -- buildsets and build requests --------------------------------------------

buildsets = sa.Table(
    "buildsets",
    metadata,
    _id(),
    sa.Column("external_idstring", sa.String(256), nullable=True),
    sa.Column("reason", sa.String(256), nullable=True),
    sa.Column("submitted_at", sa.Integer, nullable=False),
    sa.Column("complete", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("complete_at", sa.Integer, nullable=True),
    sa.Column("results", sa.SmallInteger, nullable=True),
    # builds <-> buildsets reference each other; use_alter breaks the cycle.
    sa.Column(
        "parent_buildid",
        sa.Integer,
        sa.ForeignKey("builds.id", ondelete="SET NULL", use_alter=True),
        nullable=True,
    ),
    sa.Column("parent_relationship", sa.Text, nullable=True),
    sa.Column(
        "rebuilt_buildid",
        sa.Integer,
        sa.ForeignKey("builds.id", ondelete="SET NULL", use_alter=True),
        nullable=True,
    ),
    sa.Index(None, "complete"),
    sa.Index(None, "submitted_at"),
    sa.Index(None, "parent_buildid"),
)

buildset_properties = sa.Table(
    "buildset_properties",
    metadata,
    _fk("buildsetid", "buildsets.id"),
    sa.Column("property_name", sa.String(256), nullable=False),
    # JSON [value, source]
    sa.Column("property_value", LongText, nullable=False),
    sa.UniqueConstraint("buildsetid", "property_name"),
)

buildset_sourcestamps = sa.Table(
    "buildset_sourcestamps",
    metadata,
    _id(),
    _fk("buildsetid", "buildsets.id"),
    _fk("sourcestampid", "sourcestamps.id"),
    sa.UniqueConstraint("buildsetid", "sourcestampid"),
    sa.Index(None, "sourcestampid"),
)

buildrequests = sa.Table(
    "buildrequests",
    metadata,
    _id(),
    _fk("buildsetid", "buildsets.id"),
    _fk("builderid", "builders.id"),
    sa.Column("priority", sa.Integer, nullable=False, server_default="0"),
    sa.Column("complete", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Column("results", sa.SmallInteger, nullable=True),
    sa.Column("submitted_at", sa.Integer, nullable=False),
    sa.Column("complete_at", sa.Integer, nullable=True),
    sa.Column("waited_for", sa.SmallInteger, nullable=False, server_default="0"),
    sa.Index(None, "buildsetid"),
    sa.Index(None, "builderid", "complete"),
    sa.Index(None, "complete", "submitted_at"),
)

# The row is the claim: inserting it is how a master takes a request, and the
# primary key makes a second master's insert fail.
buildrequest_claims = sa.Table(
    "buildrequest_claims",
    metadata,
    sa.Column(
        "brid", sa.Integer, sa.ForeignKey("buildrequests.id", ondelete="CASCADE"), primary_key=True
    ),
    _fk("masterid", "masters.id"),
    sa.Column("claimed_at", sa.Integer, nullable=False),
    sa.Index(None, "masterid"),
)

# -- builds, steps and logs --------------------------------------------------

builds = sa.Table(
    "builds",
    metadata,
    _id(),
    sa.Column("number", sa.Integer, nullable=False),
    _fk("builderid", "builders.id"),
    _fk("buildrequestid", "buildrequests.id"),
    _fk("workerid", "workers.id", nullable=True, ondelete="SET NULL"),
    _fk("masterid", "masters.id"),
    sa.Column("started_at", sa.Integer, nullable=False),
    sa.Column("complete_at", sa.Integer, nullable=True),
    sa.Column("locks_duration_s", sa.Integer, nullable=False, server_default="0"),
    sa.Column("state_string", sa.Text, nullable=False),
    sa.Column("results", sa.Integer, nullable=True),
    sa.UniqueConstraint("builderid", "number"),
    sa.Index(None, "buildrequestid"),
    sa.Index(None, "workerid"),
    sa.Index(None, "masterid"),
    sa.Index(None, "complete_at"),
    sa.Index(None, "started_at"),
    sa.Index(None, "results"),
)

build_properties = sa.Table(
    "build_properties",
    metadata,
    _fk("buildid", "builds.id"),
    sa.Column("name", sa.String(256), nullable=False),
    # JSON-encoded value
    sa.Column("value", LongText, nullable=False),
    sa.Column("source", sa.String(256), nullable=False),
    sa.UniqueConstraint("buildid", "name"),
)

build_data = sa.Table(
    "build_data",
    metadata,
    _id(),
    _fk("buildid", "builds.id"),
    sa.Column("name", sa.String(256), nullable=False),
    sa.Column("value", LargeBinary, nullable=False),
    sa.Column("length", sa.Integer, nullable=False),
    sa.Column("source", sa.String(256), nullable=False),
    sa.UniqueConstraint("buildid", "name"),
)

steps = sa.Table(
    "steps",
    metadata,
    _id(),
    sa.Column("number", sa.Integer, nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    _fk("buildid", "builds.id"),
    sa.Column("started_at", sa.Integer, nullable=True),
    sa.Column("locks_acquired_at", sa.Integer, nullable=True),
    sa.Column("complete_at", sa.Integer, nullable=True),
    sa.Column("state_string", sa.Text, nullable=False),
    sa.Column("results", sa.Integer, nullable=True),
    sa.Column("urls_json", sa.Text, nullable=False),
    sa.Column("hidden", sa.SmallInteger, nullable=False, server_default="0"),
    sa.UniqueConstraint("buildid", "number"),
    sa.UniqueConstraint("buildid", "name"),
)

logs = sa.Table(
    "logs",
    metadata,
    _id(),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("slug", sa.String(50), nullable=False),
    _fk("stepid", "steps.id"),
    sa.Column("complete", sa.SmallInteger, nullable=False),
    sa.Column("num_lines", sa.Integer, nullable=False),
    # 's' stdio (lines carry a stream prefix), 't' text, 'h' html
    sa.Column("type", sa.String(1), nullable=False),
    sa.UniqueConstraint("stepid", "slug"),
)

# Compressed runs of whole lines; first_line..last_line inclusive, 0-based.
logchunks = sa.Table(
    "logchunks",
    metadata,
    _fk("logid", "logs.id"),
    sa.Column("first_line", sa.Integer, nullable=False),
    sa.Column("last_line", sa.Integer, nullable=False),
    sa.Column("content", LargeBinary, nullable=False),
    # 0 none, 1 zlib, 2 zstd
    sa.Column("compressed", sa.SmallInteger, nullable=False),
    sa.PrimaryKeyConstraint("logid", "first_line"),
    sa.Index(None, "logid", "last_line"),
)

# -- generic object state ----------------------------------------------------

objects = sa.Table(
    "objects",
    metadata,
    _id(),
    sa.Column("name", sa.String(128), nullable=False),
    sa.Column("class_name", sa.String(128), nullable=False),
    sa.UniqueConstraint("name", "class_name"),
)

object_state = sa.Table(
    "object_state",
    metadata,
    _fk("objectid", "objects.id"),
    sa.Column("name", sa.String(255), nullable=False),
    sa.Column("value_json", LongText, nullable=False),
    sa.UniqueConstraint("objectid", "name"),
)
