"""``marid``: argument parsing and dispatch to the sub-command modules."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Sequence

from marid import __version__
from marid.config.evaluator import DEFAULT_TIME_LIMIT
from marid.scripts.errors import UsageError
from marid.scripts.force import add_arguments as add_force_arguments


def _add_basedir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("basedir", nargs="?", default=".", help="the master directory (default: .)")


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not 0 <= value < math.inf:
        raise argparse.ArgumentTypeError(f"must be a number of seconds, 0 or more, not {text}")
    return value


def _add_config_timeout(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config-timeout",
        type=_seconds,
        default=DEFAULT_TIME_LIMIT,
        metavar="S",
        help="seconds master.cfg may take to evaluate, at start-up and at each reconfig; "
        "0 for no limit (default: %(default)g)",
    )


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="marid", description="Run and manage a Marid CI master.")
    parser.add_argument("--version", action="version", version=f"marid {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    p = sub.add_parser("create-master", help="create a new master directory")
    p.add_argument(
        "--db", default="sqlite:///state.sqlite", help="database URL (default: %(default)s)"
    )
    p.add_argument(
        "--force", action="store_true", help="reuse an existing directory (master.cfg is kept)"
    )
    p.add_argument("basedir", help="the directory to create")

    p = sub.add_parser("start", help="start the master (in the background unless --nodaemon)")
    p.add_argument("--nodaemon", action="store_true", help="run in the foreground")
    p.add_argument("--start-timeout", type=float, default=60.0, help="seconds to wait for start-up")
    p.add_argument(
        "--log-size", type=int, default=10_000_000, help="rotate marid.log at this many bytes"
    )
    p.add_argument("--log-count", type=int, default=10, help="rotated logs to keep (0: keep all)")
    _add_config_timeout(p)
    _add_basedir(p)

    p = sub.add_parser("stop", help="stop a running master")
    p.add_argument("--clean", action="store_true", help="wait for running builds to finish first")
    p.add_argument(
        "--timeout", type=float, default=None, help="give up waiting after this many seconds"
    )
    _add_basedir(p)

    p = sub.add_parser("restart", help="stop, then start the master")
    p.add_argument("--clean", action="store_true", help="wait for running builds before stopping")
    p.add_argument("--nodaemon", action="store_true", help="run the new master in the foreground")
    p.add_argument("--start-timeout", type=float, default=60.0, help="seconds to wait for start-up")
    p.add_argument(
        "--log-size", type=int, default=10_000_000, help="rotate marid.log at this many bytes"
    )
    p.add_argument("--log-count", type=int, default=10, help="rotated logs to keep (0: keep all)")
    _add_config_timeout(p)
    p.add_argument(
        "--timeout", type=float, default=None, help="give up waiting for the stop after this"
    )
    _add_basedir(p)

    p = sub.add_parser("reconfig", help="reload master.cfg in a running master")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds to wait for the outcome")
    _add_basedir(p)

    p = sub.add_parser(
        "checkconfig", help="load and validate a configuration without starting anything"
    )
    p.add_argument(
        "path", nargs="?", default=".", help="a master directory or a config file (default: .)"
    )
    p.add_argument(
        "-q", "--quiet", action="store_true", help="print nothing when the config is good"
    )

    p = sub.add_parser("force", help="force a build on a running master")
    add_force_arguments(p)

    p = sub.add_parser("upgrade-master", help="upgrade the master's database schema")
    _add_basedir(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from marid.scripts import checkconfig, create_master, daemon, force, reconfig, upgrade

    commands = {
        "create-master": create_master.run,
        "start": daemon.start,
        "stop": daemon.stop,
        "restart": daemon.restart,
        "reconfig": reconfig.run,
        "checkconfig": checkconfig.run,
        "force": force.run,
        "upgrade-master": upgrade.run,
    }
    try:
        return commands[args.command](args)
    except UsageError as error:
        print(f"marid {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
