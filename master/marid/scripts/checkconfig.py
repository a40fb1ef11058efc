"""``marid checkconfig``: load and validate a configuration; exit 0 if good, 1 if not."""

from __future__ import annotations

import argparse
import os
import sys

from marid.config.errors import ConfigErrors
from marid.config.loader import format_errors, load_config
from marid.scripts.errors import UsageError


def run(args: argparse.Namespace) -> int:
    if not os.path.exists(args.path):
        raise UsageError(f"{args.path}: no such file or directory")
    try:
        load_config(args.path)
    except ConfigErrors as errors:
        print(format_errors(errors), file=sys.stderr)
        return 1
    if not args.quiet:
        print("Config file is good!")
    return 0
