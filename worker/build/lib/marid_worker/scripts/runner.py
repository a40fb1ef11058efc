"""``marid-worker``: the worker's command line."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from marid_worker import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="marid-worker",
        description="Run a Marid worker that executes build commands for a master.",
    )
    parser.add_argument("--version", action="version", version=f"marid-worker {__version__}")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    build_parser().parse_args(argv)
    print("marid-worker: no command given; see marid-worker --help", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main())
