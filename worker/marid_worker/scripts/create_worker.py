"""``marid-worker create-worker``: make a worker directory.

Writes ``BASEDIR/marid-worker.json`` (mode 0600: it holds the password) and,
unless they exist, ``info/admin`` and ``info/host`` with texts to replace:
the master shows them as the worker's administrator and host description.
An existing worker directory is only reused with ``--force``, which rewrites
the configuration and keeps the ``info`` files.
"""

from __future__ import annotations

import argparse
import contextlib
import os
from pathlib import Path

from marid_worker.config import CONFIG_FILE, WorkerConfig, parse_master, parse_umask, save
from marid_worker.errors import ConfigError
from marid_worker.info import INFO_DIR
from marid_worker.scripts.errors import UsageError

INFO_DEFAULTS = {
    "admin": "Your Name <your.address@example.invalid>\n",
    "host": "A description of this build host: operating system, CPUs, memory, location\n",
}


def config_from_args(args: argparse.Namespace) -> WorkerConfig:
    try:
        if args.connection_string:
            host, port = args.master, 9989
            # The connection string says where the master is; MASTERHOST is informative.
            with contextlib.suppress(ConfigError):
                host, port = parse_master(args.master)
        else:
            host, port = parse_master(args.master)
        return WorkerConfig(
            master_host=host,
            master_port=port,
            name=args.name,
            password=args.password,
            connection_string=args.connection_string,
            use_tls=args.use_tls,
            keepalive=args.keepalive,
            umask=None if args.umask is None else parse_umask(args.umask),
            maxdelay=args.maxdelay,
            maxretries=args.maxretries,
            allow_shutdown=args.allow_shutdown,
            delete_leftover_dirs=args.delete_leftover_dirs,
            log_size=args.log_size,
            log_count=args.log_count,
            numcpus=args.numcpus,
            max_references=args.max_references,
        )
    except ConfigError as error:
        raise UsageError(str(error)) from None


def check_connection_string(text: str) -> None:
    """Refuse a connection string Twisted cannot parse, without connecting anywhere."""
    from twisted.internet.endpoints import clientFromString
    from twisted.internet.testing import MemoryReactor

    try:
        clientFromString(MemoryReactor(), text)
    except Exception as error:
        raise UsageError(f"bad --connection-string {text!r}: {error}") from None


def run(args: argparse.Namespace) -> int:
    config = config_from_args(args)
    if config.connection_string:
        check_connection_string(config.connection_string)
    basedir = Path(args.basedir).absolute()
    if basedir.exists() and not basedir.is_dir():
        raise UsageError(f"{basedir} exists and is not a directory")
    if (basedir / CONFIG_FILE).exists() and not args.force:
        raise UsageError(f"{basedir} is already a worker directory; use --force to reuse it")
    quiet = args.quiet
    try:
        basedir.mkdir(parents=True, exist_ok=True)
        save(basedir, config)
        info_dir = basedir / INFO_DIR
        info_dir.mkdir(exist_ok=True)
        for name, text in INFO_DEFAULTS.items():
            path = info_dir / name
            if not path.exists():
                path.write_text(text, encoding="utf-8")
                if not quiet:
                    print(f"created {path}: edit it to describe this worker")
    except OSError as error:
        raise UsageError(f"cannot create the worker in {basedir}: {error.strerror}") from None
    if not quiet:
        print(f"worker {config.name!r} for master {config.master_address} created in {basedir}")
        print(f"start it with: marid-worker start {_shell_path(basedir)}")
    return 0


def _shell_path(path: Path) -> str:
    relative = os.path.relpath(path)
    return relative if not relative.startswith("..") else str(path)
