"""One running worker: its Bot, its Connector and the graceful-shutdown triggers.

:class:`Worker` is what ``marid-worker start`` runs; it ends by calling
``on_exit(status)``: 0 when the master shut it down, 1 when it gave up
connecting (``--maxretries``). A graceful shutdown is asked of the master
(``perspective.shutdown()``, after which the master waits for the running
build and calls ``bot.shutdown()``) on SIGHUP with ``--allow-shutdown=signal``,
or when ``BASEDIR/shutdown.stamp`` is created or touched with
``--allow-shutdown=file``. When no master is connected the worker simply stops.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from twisted.internet.defer import Deferred
from twisted.internet.endpoints import HostnameEndpoint, clientFromString, wrapClientTLS
from twisted.internet.interfaces import IDelayedCall, IStreamClientEndpoint
from twisted.logger import Logger

from marid_worker.bot import Bot
from marid_worker.config import WorkerConfig
from marid_worker.connection import Connector
from marid_worker.errors import ConfigError
from marid_worker.reactors import ProcessReactor

SHUTDOWN_STAMP = "shutdown.stamp"
STAMP_POLL_INTERVAL = 1.0

log = Logger()


def make_endpoint(reactor: Any, config: WorkerConfig) -> IStreamClientEndpoint:
    """The client endpoint for the master: the connection string, or host:port (TLS)."""
    if config.connection_string:
        try:
            described: IStreamClientEndpoint = clientFromString(reactor, config.connection_string)
        except Exception as error:
            raise ConfigError(
                f"bad connection string {config.connection_string!r}: {error}"
            ) from None
        return described
    endpoint = HostnameEndpoint(reactor, config.master_host, config.master_port)
    if not config.use_tls:
        return endpoint
    try:
        from twisted.internet.ssl import optionsForClientTLS

        options = optionsForClientTLS(config.master_host)
    except (ImportError, NotImplementedError) as error:
        raise ConfigError(f"--use-tls needs pyOpenSSL and service_identity: {error}") from None
    return wrapClientTLS(options, endpoint)


class Worker:
    def __init__(
        self,
        basedir: Path,
        config: WorkerConfig,
        reactor: ProcessReactor,
        endpoint: IStreamClientEndpoint,
        *,
        on_exit: Callable[[int], None],
    ):
        self.basedir = basedir
        self.config = config
        self._reactor = reactor
        self._on_exit = on_exit
        self._exited = False
        self.bot = Bot(
            basedir,
            reactor,
            on_shutdown=lambda: self._exit(0),
            numcpus=config.numcpus,
            delete_leftover_dirs=config.delete_leftover_dirs,
            max_references=config.max_references,
        )
        self.connector = Connector(
            reactor,
            endpoint,
            config.name,
            config.password,
            self.bot,
            keepalive=config.keepalive,
            maxdelay=config.maxdelay,
            maxretries=config.maxretries,
            max_references=config.max_references,
        )
        self.connector.on_gave_up = lambda: self._exit(1)
        self._stamp_timer: IDelayedCall | None = None
        self._stamp_seen: float | None = None

    def start(self) -> None:
        if self.config.allow_shutdown == "file":
            self._stamp_seen = self._stamp_mtime()
            self._stamp_timer = self._reactor.callLater(STAMP_POLL_INTERVAL, self._check_stamp)
        self.connector.start()

    async def stop(self) -> None:
        """Disconnect, kill running commands and wait for them to report their end."""
        if self._stamp_timer is not None and self._stamp_timer.active():
            self._stamp_timer.cancel()
        self._stamp_timer = None
        await self.connector.stop()
        self.bot.connection_lost()
        await self.bot.wait_idle()

    def request_shutdown(self) -> Deferred[None]:
        """Ask the master to shut this worker down once it is idle (or stop now if alone)."""

        async def ask() -> None:
            if not await self.connector.request_shutdown():
                log.info("no master to ask for a graceful shutdown; stopping now")
                self._exit(0)

        return Deferred.fromCoroutine(ask())

    def _exit(self, status: int) -> None:
        if not self._exited:
            self._exited = True
            self._on_exit(status)

    def _stamp_mtime(self) -> float | None:
        try:
            return (self.basedir / SHUTDOWN_STAMP).stat().st_mtime
        except OSError:
            return None

    def _check_stamp(self) -> None:
        mtime = self._stamp_mtime()
        if mtime is not None and mtime != self._stamp_seen:
            log.info("{stamp} was touched: asking for a graceful shutdown", stamp=SHUTDOWN_STAMP)
            self.request_shutdown()
        self._stamp_seen = mtime
        self._stamp_timer = self._reactor.callLater(STAMP_POLL_INTERVAL, self._check_stamp)
