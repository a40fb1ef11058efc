"""``marid create-master``: a new master directory with a commented config and a database.

Without ``--force`` an existing non-empty directory is refused. With it the
directory is reused: an existing ``master.cfg`` is kept, ``master.cfg.sample``
is refreshed and the database is upgraded.
"""

from __future__ import annotations

import argparse
import os
from importlib import resources

import sqlalchemy as sa

from marid.db.engine import connection_problem
from marid.db.errors import DatabaseError
from marid.scripts.errors import UsageError
from marid.scripts.upgrade import upgrade_database


def config_text(db_url: str) -> str:
    template = resources.files("marid.scripts").joinpath("templates/master.cfg").read_text("utf-8")
    return template.replace("@DB_URL@", db_url.replace("\\", "\\\\").replace('"', '\\"'))


def create(basedir: str, db_url: str, *, force: bool) -> list[str]:
    """Create the master in ``basedir``; return what was done, one line each."""
    done = []
    if os.path.exists(basedir) and not os.path.isdir(basedir):
        raise UsageError(f"{basedir} exists and is not a directory")
    if os.path.isdir(basedir) and os.listdir(basedir) and not force:
        raise UsageError(f"{basedir} already exists and is not empty; use --force to reuse it")
    os.makedirs(basedir, exist_ok=True)
    text = config_text(db_url)
    config_path = os.path.join(basedir, "master.cfg")
    if os.path.exists(config_path):
        done.append(f"kept existing {config_path}")
    else:
        with open(config_path, "w", encoding="utf-8") as f:
            f.write(text)
        done.append(f"wrote {config_path}")
    with open(os.path.join(basedir, "master.cfg.sample"), "w", encoding="utf-8") as f:
        f.write(text)
    done.append(f"wrote {os.path.join(basedir, 'master.cfg.sample')}")
    try:
        before, after = upgrade_database(db_url, basedir)
    except DatabaseError as error:
        raise UsageError(f"cannot create the database: {error}") from None
    except sa.exc.SQLAlchemyError as error:
        raise UsageError(connection_problem(db_url, error)) from None
    done.append(f"database at revision {after}" + ("" if before is None else f" (was {before})"))
    return done


def run(args: argparse.Namespace) -> int:
    basedir = os.path.abspath(args.basedir)
    for line in create(basedir, args.db, force=args.force):
        print(line)
    print(f"master created in {basedir}; start it with: marid start {args.basedir}")
    return 0
