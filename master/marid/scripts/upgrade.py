"""``marid upgrade-master``: bring the database schema to this Marid's head revision.

Safe to run again: an up-to-date database is left as it is.
"""

from __future__ import annotations

import argparse
import os

import sqlalchemy as sa

from marid.config.errors import ConfigErrors
from marid.config.loader import load_config
from marid.db.engine import connection_problem, make_engine
from marid.db.errors import DatabaseError, SchemaTooNew
from marid.db.migrate import check_schema, current_revision, head_revision, upgrade
from marid.scripts.errors import UsageError


def upgrade_database(db_url: str, basedir: str) -> tuple[str | None, str]:
    """Upgrade; return (revision before, revision after)."""
    engine = make_engine(db_url, basedir)
    try:
        before = current_revision(engine)
        try:
            check_schema(engine)
        except SchemaTooNew as error:
            raise UsageError(str(error)) from None
        except DatabaseError:
            pass  # older or empty: upgrade below
        upgrade(engine)
        return before, head_revision()
    finally:
        engine.dispose()


def run(args: argparse.Namespace) -> int:
    basedir = os.path.abspath(args.basedir)
    config_path = os.path.join(basedir, "master.cfg")
    if not os.path.exists(config_path):
        raise UsageError(f"{basedir} is not a master directory (no master.cfg)")
    try:
        cfg = load_config(config_path)
    except ConfigErrors as errors:
        raise UsageError(f"master.cfg has errors, fix them first: {errors.errors[0]}") from None
    try:
        before, after = upgrade_database(cfg.db_url, basedir)
    except DatabaseError as error:
        raise UsageError(str(error)) from None
    except sa.exc.SQLAlchemyError as error:
        raise UsageError(connection_problem(cfg.db_url, error)) from None
    if before == after:
        print(f"database already at revision {after}; nothing to do")
    else:
        print(f"database upgraded from revision {before or '(empty)'} to {after}")
    return 0
