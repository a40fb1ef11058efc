"""The initial schema: every table of ``marid.db.model`` as of Marid 0.1.

Revision ID: 0001
Revises:
Create Date: 2026-11-24

Written out in full rather than derived from the model, so that later changes
to the model never change what this revision does. Constraint and index names
are the ones ``model.NAMING_CONVENTION`` gives.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import mysql

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# MySQL/MariaDB would otherwise cap TEXT and BLOB at 64 KiB.
LONG_TEXT = sa.Text().with_variant(mysql.MEDIUMTEXT(), "mysql", "mariadb")
LARGE_BINARY = sa.LargeBinary().with_variant(mysql.LONGBLOB(), "mysql", "mariadb")

# Every table, each after the tables it refers to; downgrade() drops them in
# reverse. buildsets <-> builds is the one cycle: its foreign keys come last.
_TABLES = (
    "masters",
    "projects",
    "builders",
    "tags",
    "builders_tags",
    "builder_masters",
    "workers",
    "configured_workers",
    "connected_workers",
    "schedulers",
    "scheduler_masters",
    "changesources",
    "changesource_masters",
    "users",
    "users_info",
    "patches",
    "sourcestamps",
    "changes",
    "change_files",
    "change_properties",
    "change_users",
    "scheduler_changes",
    "buildsets",
    "buildset_properties",
    "buildset_sourcestamps",
    "buildrequests",
    "buildrequest_claims",
    "builds",
    "build_properties",
    "build_data",
    "steps",
    "logs",
    "logchunks",
    "objects",
    "object_state",
)
_BUILDSET_BUILD_COLUMNS = ("parent_buildid", "rebuilt_buildid")


def upgrade() -> None:
    # -- masters
    op.create_table(
        "masters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_hash", sa.String(length=40), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("last_active", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_masters"),
        sa.UniqueConstraint("name_hash", name="uq_masters_name_hash"),
    )

    # -- projects and builders
    op.create_table(
        "projects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_hash", sa.String(length=40), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_format", sa.Text(), nullable=True),
        sa.Column("description_html", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_projects"),
        sa.UniqueConstraint("name_hash", name="uq_projects_name_hash"),
    )
    op.create_table(
        "builders",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_hash", sa.String(length=40), nullable=False),
        sa.Column("projectid", sa.Integer(), nullable=True),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("description_format", sa.Text(), nullable=True),
        sa.Column("description_html", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["projectid"],
            ["projects.id"],
            name="fk_builders_projectid_projects",
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_builders"),
        sa.UniqueConstraint("name_hash", name="uq_builders_name_hash"),
    )
    op.create_table(
        "tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_hash", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_tags"),
        sa.UniqueConstraint("name_hash", name="uq_tags_name_hash"),
    )
    op.create_table(
        "builders_tags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("builderid", sa.Integer(), nullable=False),
        sa.Column("tagid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["builderid"],
            ["builders.id"],
            name="fk_builders_tags_builderid_builders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["tagid"], ["tags.id"], name="fk_builders_tags_tagid_tags", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_builders_tags"),
        sa.UniqueConstraint("builderid", "tagid", name="uq_builders_tags_builderid_tagid"),
    )
    op.create_index("ix_builders_tags_tagid", "builders_tags", ["tagid"])
    op.create_table(
        "builder_masters",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("builderid", sa.Integer(), nullable=False),
        sa.Column("masterid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["builderid"],
            ["builders.id"],
            name="fk_builder_masters_builderid_builders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["masterid"],
            ["masters.id"],
            name="fk_builder_masters_masterid_masters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_builder_masters"),
        sa.UniqueConstraint("builderid", "masterid", name="uq_builder_masters_builderid_masterid"),
    )
    op.create_index("ix_builder_masters_masterid", "builder_masters", ["masterid"])

    # -- workers
    op.create_table(
        "workers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("info", LONG_TEXT, nullable=False),
        sa.Column("paused", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("pause_reason", sa.Text(), nullable=True),
        sa.Column("graceful", sa.SmallInteger(), server_default="0", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_workers"),
        sa.UniqueConstraint("name", name="uq_workers_name"),
    )
    op.create_table(
        "configured_workers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("buildermasterid", sa.Integer(), nullable=False),
        sa.Column("workerid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buildermasterid"],
            ["builder_masters.id"],
            name="fk_configured_workers_buildermasterid_builder_masters",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workerid"],
            ["workers.id"],
            name="fk_configured_workers_workerid_workers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_configured_workers"),
        sa.UniqueConstraint(
            "buildermasterid", "workerid", name="uq_configured_workers_buildermasterid_workerid"
        ),
    )
    op.create_index("ix_configured_workers_workerid", "configured_workers", ["workerid"])
    op.create_table(
        "connected_workers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("masterid", sa.Integer(), nullable=False),
        sa.Column("workerid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["masterid"],
            ["masters.id"],
            name="fk_connected_workers_masterid_masters",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["workerid"],
            ["workers.id"],
            name="fk_connected_workers_workerid_workers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_connected_workers"),
        sa.UniqueConstraint("masterid", "workerid", name="uq_connected_workers_masterid_workerid"),
    )
    op.create_index("ix_connected_workers_workerid", "connected_workers", ["workerid"])

    # -- schedulers and change sources
    op.create_table(
        "schedulers",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_hash", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.SmallInteger(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_schedulers"),
        sa.UniqueConstraint("name_hash", name="uq_schedulers_name_hash"),
    )
    op.create_table(
        "scheduler_masters",
        sa.Column("schedulerid", sa.Integer(), nullable=False),
        sa.Column("masterid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["masterid"],
            ["masters.id"],
            name="fk_scheduler_masters_masterid_masters",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedulerid"],
            ["schedulers.id"],
            name="fk_scheduler_masters_schedulerid_schedulers",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("schedulerid", name="pk_scheduler_masters"),
    )
    op.create_index("ix_scheduler_masters_masterid", "scheduler_masters", ["masterid"])
    op.create_table(
        "changesources",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("name_hash", sa.String(length=40), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_changesources"),
        sa.UniqueConstraint("name_hash", name="uq_changesources_name_hash"),
    )
    op.create_table(
        "changesource_masters",
        sa.Column("changesourceid", sa.Integer(), nullable=False),
        sa.Column("masterid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changesourceid"],
            ["changesources.id"],
            name="fk_changesource_masters_changesourceid_changesources",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["masterid"],
            ["masters.id"],
            name="fk_changesource_masters_masterid_masters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("changesourceid", name="pk_changesource_masters"),
    )
    op.create_index("ix_changesource_masters_masterid", "changesource_masters", ["masterid"])

    # -- users
    op.create_table(
        "users",
        sa.Column("uid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("identifier", sa.String(length=255), nullable=False),
        sa.Column("bb_username", sa.String(length=128), nullable=True),
        sa.Column("bb_password", sa.String(length=128), nullable=True),
        sa.PrimaryKeyConstraint("uid", name="pk_users"),
        sa.UniqueConstraint("bb_username", name="uq_users_bb_username"),
        sa.UniqueConstraint("identifier", name="uq_users_identifier"),
    )
    op.create_table(
        "users_info",
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.Column("attr_type", sa.String(length=128), nullable=False),
        sa.Column("attr_data", sa.String(length=128), nullable=False),
        sa.ForeignKeyConstraint(
            ["uid"], ["users.uid"], name="fk_users_info_uid_users", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("uid", "attr_type", name="pk_users_info"),
    )

    # -- source stamps and changes
    op.create_table(
        "patches",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("patchlevel", sa.Integer(), nullable=False),
        sa.Column("patch_base64", LONG_TEXT, nullable=False),
        sa.Column("patch_author", sa.Text(), nullable=True),
        sa.Column("patch_comment", sa.Text(), nullable=True),
        sa.Column("subdir", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_patches"),
    )
    op.create_table(
        "sourcestamps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("ss_hash", sa.String(length=40), nullable=False),
        sa.Column("branch", sa.String(length=256), nullable=True),
        sa.Column("revision", sa.String(length=256), nullable=True),
        sa.Column("patchid", sa.Integer(), nullable=True),
        sa.Column("repository", sa.String(length=512), server_default="", nullable=False),
        sa.Column("codebase", sa.String(length=256), server_default="", nullable=False),
        sa.Column("project", sa.String(length=512), server_default="", nullable=False),
        sa.Column("created_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["patchid"], ["patches.id"], name="fk_sourcestamps_patchid_patches", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_sourcestamps"),
        sa.UniqueConstraint("ss_hash", name="uq_sourcestamps_ss_hash"),
    )
    op.create_table(
        "changes",
        sa.Column("changeid", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("committer", sa.String(length=255), nullable=True),
        sa.Column("comments", LONG_TEXT, nullable=False),
        sa.Column("branch", sa.String(length=255), nullable=True),
        sa.Column("revision", sa.String(length=255), nullable=True),
        sa.Column("revlink", sa.String(length=256), nullable=True),
        sa.Column("when_timestamp", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=255), nullable=True),
        sa.Column("repository", sa.String(length=512), server_default="", nullable=False),
        sa.Column("codebase", sa.String(length=256), server_default="", nullable=False),
        sa.Column("project", sa.String(length=512), server_default="", nullable=False),
        sa.Column("sourcestampid", sa.Integer(), nullable=False),
        sa.Column("parent_changeids", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["parent_changeids"],
            ["changes.changeid"],
            name="fk_changes_parent_changeids_changes",
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["sourcestampid"],
            ["sourcestamps.id"],
            name="fk_changes_sourcestampid_sourcestamps",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("changeid", name="pk_changes"),
    )
    op.create_index("ix_changes_author", "changes", ["author"])
    op.create_index("ix_changes_branch", "changes", ["branch"])
    op.create_index("ix_changes_category", "changes", ["category"])
    op.create_index("ix_changes_parent_changeids", "changes", ["parent_changeids"])
    op.create_index("ix_changes_revision", "changes", ["revision"])
    op.create_index("ix_changes_sourcestampid", "changes", ["sourcestampid"])
    op.create_index("ix_changes_when_timestamp", "changes", ["when_timestamp"])
    op.create_table(
        "change_files",
        sa.Column("changeid", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=1024), nullable=False),
        sa.ForeignKeyConstraint(
            ["changeid"],
            ["changes.changeid"],
            name="fk_change_files_changeid_changes",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_change_files_changeid", "change_files", ["changeid"])
    op.create_table(
        "change_properties",
        sa.Column("changeid", sa.Integer(), nullable=False),
        sa.Column("property_name", sa.String(length=256), nullable=False),
        sa.Column("property_value", LONG_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["changeid"],
            ["changes.changeid"],
            name="fk_change_properties_changeid_changes",
            ondelete="CASCADE",
        ),
    )
    op.create_index("ix_change_properties_changeid", "change_properties", ["changeid"])
    op.create_table(
        "change_users",
        sa.Column("changeid", sa.Integer(), nullable=False),
        sa.Column("uid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["changeid"],
            ["changes.changeid"],
            name="fk_change_users_changeid_changes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["uid"], ["users.uid"], name="fk_change_users_uid_users", ondelete="CASCADE"
        ),
    )
    op.create_index("ix_change_users_changeid", "change_users", ["changeid"])
    op.create_index("ix_change_users_uid", "change_users", ["uid"])
    op.create_table(
        "scheduler_changes",
        sa.Column("schedulerid", sa.Integer(), nullable=False),
        sa.Column("changeid", sa.Integer(), nullable=False),
        sa.Column("important", sa.SmallInteger(), nullable=True),
        sa.ForeignKeyConstraint(
            ["changeid"],
            ["changes.changeid"],
            name="fk_scheduler_changes_changeid_changes",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["schedulerid"],
            ["schedulers.id"],
            name="fk_scheduler_changes_schedulerid_schedulers",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "schedulerid", "changeid", name="uq_scheduler_changes_schedulerid_changeid"
        ),
    )
    op.create_index("ix_scheduler_changes_changeid", "scheduler_changes", ["changeid"])

    # -- buildsets and build requests
    op.create_table(
        "buildsets",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("external_idstring", sa.String(length=256), nullable=True),
        sa.Column("reason", sa.String(length=256), nullable=True),
        sa.Column("submitted_at", sa.Integer(), nullable=False),
        sa.Column("complete", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("complete_at", sa.Integer(), nullable=True),
        sa.Column("results", sa.SmallInteger(), nullable=True),
        sa.Column("parent_buildid", sa.Integer(), nullable=True),
        sa.Column("parent_relationship", sa.Text(), nullable=True),
        sa.Column("rebuilt_buildid", sa.Integer(), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_buildsets"),
    )
    op.create_index("ix_buildsets_complete", "buildsets", ["complete"])
    op.create_index("ix_buildsets_parent_buildid", "buildsets", ["parent_buildid"])
    op.create_index("ix_buildsets_submitted_at", "buildsets", ["submitted_at"])
    op.create_table(
        "buildset_properties",
        sa.Column("buildsetid", sa.Integer(), nullable=False),
        sa.Column("property_name", sa.String(length=256), nullable=False),
        sa.Column("property_value", LONG_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["buildsetid"],
            ["buildsets.id"],
            name="fk_buildset_properties_buildsetid_buildsets",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint(
            "buildsetid", "property_name", name="uq_buildset_properties_buildsetid_property_name"
        ),
    )
    op.create_table(
        "buildset_sourcestamps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("buildsetid", sa.Integer(), nullable=False),
        sa.Column("sourcestampid", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["buildsetid"],
            ["buildsets.id"],
            name="fk_buildset_sourcestamps_buildsetid_buildsets",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["sourcestampid"],
            ["sourcestamps.id"],
            name="fk_buildset_sourcestamps_sourcestampid_sourcestamps",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_buildset_sourcestamps"),
        sa.UniqueConstraint(
            "buildsetid", "sourcestampid", name="uq_buildset_sourcestamps_buildsetid_sourcestampid"
        ),
    )
    op.create_index(
        "ix_buildset_sourcestamps_sourcestampid", "buildset_sourcestamps", ["sourcestampid"]
    )
    op.create_table(
        "buildrequests",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("buildsetid", sa.Integer(), nullable=False),
        sa.Column("builderid", sa.Integer(), nullable=False),
        sa.Column("priority", sa.Integer(), server_default="0", nullable=False),
        sa.Column("complete", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("results", sa.SmallInteger(), nullable=True),
        sa.Column("submitted_at", sa.Integer(), nullable=False),
        sa.Column("complete_at", sa.Integer(), nullable=True),
        sa.Column("waited_for", sa.SmallInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["builderid"],
            ["builders.id"],
            name="fk_buildrequests_builderid_builders",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["buildsetid"],
            ["buildsets.id"],
            name="fk_buildrequests_buildsetid_buildsets",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name="pk_buildrequests"),
    )
    op.create_index(
        "ix_buildrequests_builderid_complete", "buildrequests", ["builderid", "complete"]
    )
    op.create_index("ix_buildrequests_buildsetid", "buildrequests", ["buildsetid"])
    op.create_index(
        "ix_buildrequests_complete_submitted_at", "buildrequests", ["complete", "submitted_at"]
    )
    op.create_table(
        "buildrequest_claims",
        sa.Column("brid", sa.Integer(), nullable=False),
        sa.Column("masterid", sa.Integer(), nullable=False),
        sa.Column("claimed_at", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["brid"],
            ["buildrequests.id"],
            name="fk_buildrequest_claims_brid_buildrequests",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["masterid"],
            ["masters.id"],
            name="fk_buildrequest_claims_masterid_masters",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("brid", name="pk_buildrequest_claims"),
    )
    op.create_index("ix_buildrequest_claims_masterid", "buildrequest_claims", ["masterid"])

    # -- builds, steps and logs
    op.create_table(
        "builds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("builderid", sa.Integer(), nullable=False),
        sa.Column("buildrequestid", sa.Integer(), nullable=False),
        sa.Column("workerid", sa.Integer(), nullable=True),
        sa.Column("masterid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Integer(), nullable=False),
        sa.Column("complete_at", sa.Integer(), nullable=True),
        sa.Column("locks_duration_s", sa.Integer(), server_default="0", nullable=False),
        sa.Column("state_string", sa.Text(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["builderid"], ["builders.id"], name="fk_builds_builderid_builders", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["buildrequestid"],
            ["buildrequests.id"],
            name="fk_builds_buildrequestid_buildrequests",
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["masterid"], ["masters.id"], name="fk_builds_masterid_masters", ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["workerid"], ["workers.id"], name="fk_builds_workerid_workers", ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_builds"),
        sa.UniqueConstraint("builderid", "number", name="uq_builds_builderid_number"),
    )
    op.create_index("ix_builds_buildrequestid", "builds", ["buildrequestid"])
    op.create_index("ix_builds_complete_at", "builds", ["complete_at"])
    op.create_index("ix_builds_masterid", "builds", ["masterid"])
    op.create_index("ix_builds_results", "builds", ["results"])
    op.create_index("ix_builds_started_at", "builds", ["started_at"])
    op.create_index("ix_builds_workerid", "builds", ["workerid"])
    # buildsets and builds refer to each other: close the cycle now that both exist.
    with op.batch_alter_table("buildsets") as batch_op:
        for column in _BUILDSET_BUILD_COLUMNS:
            batch_op.create_foreign_key(
                f"fk_buildsets_{column}_builds", "builds", [column], ["id"], ondelete="SET NULL"
            )
    op.create_table(
        "build_properties",
        sa.Column("buildid", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("value", LONG_TEXT, nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["buildid"],
            ["builds.id"],
            name="fk_build_properties_buildid_builds",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("buildid", "name", name="uq_build_properties_buildid_name"),
    )
    op.create_table(
        "build_data",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("buildid", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=256), nullable=False),
        sa.Column("value", LARGE_BINARY, nullable=False),
        sa.Column("length", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=256), nullable=False),
        sa.ForeignKeyConstraint(
            ["buildid"], ["builds.id"], name="fk_build_data_buildid_builds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_build_data"),
        sa.UniqueConstraint("buildid", "name", name="uq_build_data_buildid_name"),
    )
    op.create_table(
        "steps",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=50), nullable=False),
        sa.Column("buildid", sa.Integer(), nullable=False),
        sa.Column("started_at", sa.Integer(), nullable=True),
        sa.Column("locks_acquired_at", sa.Integer(), nullable=True),
        sa.Column("complete_at", sa.Integer(), nullable=True),
        sa.Column("state_string", sa.Text(), nullable=False),
        sa.Column("results", sa.Integer(), nullable=True),
        sa.Column("urls_json", sa.Text(), nullable=False),
        sa.Column("hidden", sa.SmallInteger(), server_default="0", nullable=False),
        sa.ForeignKeyConstraint(
            ["buildid"], ["builds.id"], name="fk_steps_buildid_builds", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_steps"),
        sa.UniqueConstraint("buildid", "name", name="uq_steps_buildid_name"),
        sa.UniqueConstraint("buildid", "number", name="uq_steps_buildid_number"),
    )
    op.create_table(
        "logs",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("slug", sa.String(length=50), nullable=False),
        sa.Column("stepid", sa.Integer(), nullable=False),
        sa.Column("complete", sa.SmallInteger(), nullable=False),
        sa.Column("num_lines", sa.Integer(), nullable=False),
        sa.Column("type", sa.String(length=1), nullable=False),
        sa.ForeignKeyConstraint(
            ["stepid"], ["steps.id"], name="fk_logs_stepid_steps", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name="pk_logs"),
        sa.UniqueConstraint("stepid", "slug", name="uq_logs_stepid_slug"),
    )
    op.create_table(
        "logchunks",
        sa.Column("logid", sa.Integer(), nullable=False),
        sa.Column("first_line", sa.Integer(), nullable=False),
        sa.Column("last_line", sa.Integer(), nullable=False),
        sa.Column("content", LARGE_BINARY, nullable=False),
        sa.Column("compressed", sa.SmallInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["logid"], ["logs.id"], name="fk_logchunks_logid_logs", ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("logid", "first_line", name="pk_logchunks"),
    )
    op.create_index("ix_logchunks_logid_last_line", "logchunks", ["logid", "last_line"])

    # -- generic object state
    op.create_table(
        "objects",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("name", sa.String(length=128), nullable=False),
        sa.Column("class_name", sa.String(length=128), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_objects"),
        sa.UniqueConstraint("name", "class_name", name="uq_objects_name_class_name"),
    )
    op.create_table(
        "object_state",
        sa.Column("objectid", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("value_json", LONG_TEXT, nullable=False),
        sa.ForeignKeyConstraint(
            ["objectid"],
            ["objects.id"],
            name="fk_object_state_objectid_objects",
            ondelete="CASCADE",
        ),
        sa.UniqueConstraint("objectid", "name", name="uq_object_state_objectid_name"),
    )


def downgrade() -> None:
    with op.batch_alter_table("buildsets") as batch_op:
        for column in _BUILDSET_BUILD_COLUMNS:
            batch_op.drop_constraint(f"fk_buildsets_{column}_builds", type_="foreignkey")
    for table in reversed(_TABLES):
        op.drop_table(table)
