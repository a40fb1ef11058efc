"""A revision that exists only in the tests: one step past Marid's real head.

It gives the tests a database that is "newer" than Marid (upgrade to it, then
check with Marid's own revisions) and a Marid that is "newer" than a database
at the real head (check with this directory added). ``down_revision`` follows
the real head, so the chain stays linear as revisions are added.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from marid.db.migrate import head_revision

revision: str = "test_after_head"
down_revision: str | None = head_revision()
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    op.create_table("test_only", sa.Column("id", sa.Integer(), primary_key=True))


def downgrade() -> None:
    op.drop_table("test_only")
