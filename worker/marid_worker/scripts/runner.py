"""``marid-worker``: argument parsing and dispatch to the sub-command modules.

Every mistake on the command line is one line on stderr and exit status 1.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import NoReturn

from marid_worker import __version__
from marid_worker.scripts.errors import UsageError
from marid_worker.wire import DEFAULT_MAX_REFERENCES


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser whose errors are one line and exit status 1."""

    def error(self, message: str) -> NoReturn:
        self.exit(1, f"{self.prog}: {message}\n")


def _add_basedir(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("basedir", nargs="?", default=".", help="the worker directory (default: .)")


def _add_create_worker(sub: argparse._SubParsersAction[_Parser]) -> None:
    p = sub.add_parser(
        "create-worker",
        help="create a worker directory",
        description="Create a worker directory: the configuration and the info/ files.",
    )
    p.add_argument(
        "-k",
        "--keepalive",
        type=int,
        default=600,
        metavar="SECONDS",
        help="send a keepalive to the master this often; 0 disables (default: 600)",
    )
    p.add_argument(
        "--umask",
        metavar="OCTAL",
        help="umask for the worker and its commands, e.g. 022 (default: inherited)",
    )
    p.add_argument(
        "--maxretries",
        type=int,
        metavar="N",
        help="stop after N failed connection attempts in a row (default: never)",
    )
    p.add_argument(
        "--maxdelay",
        type=int,
        default=300,
        metavar="SECONDS",
        help="longest wait between connection attempts (default: 300)",
    )
    p.add_argument("--use-tls", action="store_true", help="connect to the master over TLS")
    p.add_argument(
        "--connection-string",
        metavar="ENDPOINT",
        help="a Twisted client endpoint string; overrides MASTERHOST[:PORT]",
    )
    p.add_argument(
        "-a",
        "--allow-shutdown",
        choices=["signal", "file"],
        help="allow a graceful shutdown by SIGHUP (signal) or BASEDIR/shutdown.stamp (file)",
    )
    p.add_argument(
        "--delete-leftover-dirs",
        action="store_true",
        help="delete directories the master no longer uses (default: warn)",
    )
    p.add_argument(
        "-s",
        "--log-size",
        type=int,
        default=10_000_000,
        metavar="BYTES",
        help="rotate marid-worker.log at this size (default: 10000000)",
    )
    p.add_argument(
        "-l",
        "--log-count",
        type=int,
        default=10,
        metavar="N",
        help="rotated logs to keep; 0 keeps all (default: 10)",
    )
    p.add_argument(
        "--max-references",
        type=int,
        default=DEFAULT_MAX_REFERENCES,
        metavar="N",
        help="live PB references one connection may hold, about one per builder (default: 100000)",
    )
    p.add_argument(
        "--numcpus",
        type=int,
        metavar="N",
        help="CPUs to report to the master (default: this machine's count)",
    )
    p.add_argument(
        "-f",
        "--force",
        action="store_true",
        help="reuse an existing worker directory (its info/ files are kept)",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="print nothing on success")
    p.add_argument("basedir", help="the directory to create")
    p.add_argument("master", metavar="MASTERHOST[:PORT]", help="the master (default port 9989)")
    p.add_argument("name", help="the worker's name, as in the master's configuration")
    p.add_argument("password", help="the worker's password, as in the master's configuration")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="marid-worker",
        description="Run a Marid worker, which executes build commands for a Marid or "
        "Buildbot master.",
    )
    parser.add_argument("--version", action="version", version=f"marid-worker {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    sub.required = True
    _add_create_worker(sub)

    p = sub.add_parser("start", help="start the worker (in the background unless --nodaemon)")
    p.add_argument("--nodaemon", action="store_true", help="run in the foreground")
    p.add_argument(
        "--start-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the worker to start (default: 30)",
    )
    _add_basedir(p)

    p = sub.add_parser("stop", help="stop a running worker")
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for it to stop (default: 60)",
    )
    _add_basedir(p)

    p = sub.add_parser("restart", help="stop the worker, then start it again")
    p.add_argument("--nodaemon", action="store_true", help="run the new worker in the foreground")
    p.add_argument(
        "--start-timeout",
        type=float,
        default=30.0,
        metavar="SECONDS",
        help="how long to wait for the worker to start (default: 30)",
    )
    p.add_argument(
        "--timeout",
        type=float,
        default=60.0,
        metavar="SECONDS",
        help="how long to wait for the old worker to stop (default: 60)",
    )
    _add_basedir(p)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    from marid_worker.scripts import create_worker, daemon

    commands = {
        "create-worker": create_worker.run,
        "start": daemon.start,
        "stop": daemon.stop,
        "restart": daemon.restart,
    }
    try:
        return commands[args.command](args)
    except UsageError as error:
        print(f"marid-worker {args.command}: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
