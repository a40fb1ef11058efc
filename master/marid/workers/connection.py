"""``Connection``: one logged-in worker, as the rest of the master sees it.

It wraps the worker's Bot reference with typed calls in the protocol's own
terms (``print``, ``getWorkerInfo``, ``setBuilderList``, ``startCommand``...),
keeps the WorkerForBuilder references that ``setBuilderList`` returned (in a
``BuilderWindow``, which stays within what the worker's PB allows), sends
the master's keepalives, and tells whoever asked when the link goes away.

Thin calls that are one remote call (``remote_print``, ``start_command``...)
return the Deferred of that call, so callers may pipeline them; calls with
logic of their own are ``async``. Invariants: disconnect callbacks run exactly
once; a failed or unanswered keepalive or ping drops the connection (both
must be answered within ``answer_window``: the keepalive interval, at most
``KEEPALIVE_TIMEOUT_MAX``); ``lose_connection`` aborts the socket if a
graceful close has not finished after ``ABORT_AFTER`` s.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer, task
from twisted.internet.interfaces import IDelayedCall, IReactorTime
from twisted.logger import Logger
from twisted.python.failure import Failure

from marid.workers.config import DEFAULT_MAX_BUILDER_REFERENCES
from marid.workers.errors import PingFailed
from marid.workers.protocol.pb import RemoteRef, is_connection_lost, is_no_such_method
from marid.workers.window import BuilderWindow, window_size

log = Logger()

ABORT_AFTER = 10.0
"""Seconds a graceful close may take before the socket is aborted."""

KEEPALIVE_TIMEOUT_MAX = 60.0
"""A keepalive gets its interval, but never more than this, to be answered."""

STORED_INFO_KEYS = ("admin", "host", "access_uri", "version")
"""Worker info kept in the database and shown by the API, with every ``os_*`` key.

The rest (``environ``, ``basedir``, ``numcpus``, ``worker_commands``...) stays
in ``Connection.info``: the environment may hold secrets."""


def decode_info(value: Any) -> Any:
    """Worker info with bytes turned into str, recursively (old workers send bytes)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    if isinstance(value, dict):
        return {decode_info(k): decode_info(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [decode_info(v) for v in value]
    return value


def _unanswered(failure: Failure, window: float) -> str:
    """Why a ping or keepalive failed, in words (a timeout's own text is a bare tuple)."""
    if failure.check(defer.TimeoutError):
        return f"no answer within {window:g} s"
    return failure.getErrorMessage() or type(failure.value).__name__


def stored_info(info: dict[str, Any]) -> dict[str, Any]:
    """The part of the worker info that is stored and published."""
    kept = {key: info.get(key) for key in STORED_INFO_KEYS}
    kept.update({k: v for k, v in info.items() if k.startswith("os_")})
    return kept


class Connection:
    """A logged-in worker: its bot, its builders, its liveness."""

    def __init__(
        self,
        name: str,
        bot: RemoteRef,
        clock: IReactorTime,
        *,
        max_builder_references: int = DEFAULT_MAX_BUILDER_REFERENCES,
    ) -> None:
        self.name = name
        self.bot = bot
        self.clock = clock
        self.peer = bot.peer
        self.info: dict[str, Any] = {}
        self.max_builder_references = max_builder_references
        self.window = BuilderWindow(name, bot, max_builder_references, may_switch=True)
        self.connected_at = clock.seconds()
        self.last_keepalive: float | None = None
        self.on_shutdown_request: Callable[[], None] | None = None
        self._callbacks: list[Callable[[], None]] = []
        self._lost = False
        self._keepalive: task.LoopingCall | None = None
        self._keepalive_interval: float | None = None
        self._keepalive_pending = False
        self._abort_call: IDelayedCall | None = None
        bot.notify_on_disconnect(self._disconnected)

    @property
    def is_connected(self) -> bool:
        return not self._lost and self.bot.is_connected

    @property
    def builders(self) -> dict[str, str]:
        """The builders attached on this worker: name -> builddir."""
        return self.window.attached

    # -- master -> worker ----------------------------------------------------------

    def remote_print(self, message: str) -> defer.Deferred[Any]:
        """Ask the worker to log ``message``; answered when it did."""
        return self.bot.call("print", message=message)

    @property
    def answer_window(self) -> float:
        """Seconds a keepalive or a ping may take to be answered: the keepalive interval, capped."""
        return min(self._keepalive_interval or KEEPALIVE_TIMEOUT_MAX, KEEPALIVE_TIMEOUT_MAX)

    def ping(self) -> defer.Deferred[None]:
        """``print("ping")``, answered within ``answer_window`` or ``PingFailed``.

        A worker that fails the ping is dropped, as Buildbot does: otherwise
        the retried build would go straight back to the same unresponsive
        worker. Cancelling the ping (a stopped build) leaves the connection be.
        """
        window = self.answer_window
        d = self.remote_print("ping")
        d.addTimeout(window, self.clock)

        def failed(failure: Failure) -> Failure:
            if failure.check(defer.CancelledError):
                return failure
            reason = _unanswered(failure, window)
            if self.is_connected:
                log.warn(
                    "worker {name} ({peer}) failed a ping ({reason}); dropping the connection",
                    name=self.name,
                    peer=self.peer,
                    reason=reason,
                )
                self.abort()
            raise PingFailed(reason)

        d.addCallbacks(lambda _: None, failed)
        return d

    async def get_worker_info(self) -> dict[str, Any]:
        """Ask the worker what it is; the answer is also kept in ``info``."""
        try:
            info = await self.bot.call("getWorkerInfo")
        except Exception as error:
            if not is_no_such_method(error):
                raise
            info = await self._legacy_info()
        self.info = decode_info(info) if isinstance(info, dict) else {}
        size, may_switch = window_size(self.info, self.max_builder_references)
        self.window.size, self.window.may_switch = size, may_switch
        return self.info

    async def _legacy_info(self) -> dict[str, Any]:
        # Workers older than getWorkerInfo answer these two instead.
        info: dict[str, Any] = {}
        try:
            info["worker_commands"] = await self.bot.call("getCommands")
            info["version"] = await self.bot.call("getVersion")
        except Exception as error:
            if not is_no_such_method(error):
                raise
        return info

    async def set_builder_list(self, builders: list[tuple[str, str]]) -> list[str]:
        """Tell the worker its ``(builder name, builddir)`` list; return newly attached names."""
        return await self.window.set_builders(builders)

    def hold_builder(self, builder_name: str) -> Callable[[], None]:
        """Keep the builder's reference (a build runs on it); call the result to let go."""
        return self.window.hold(builder_name)

    def _on_builder(self, builder_name: str, method: str, *args: Any) -> defer.Deferred[Any]:
        async def send() -> Any:
            wfb = await self.window.ref(builder_name)
            return await wfb.call(method, *args)

        return defer.Deferred.fromCoroutine(send())

    def start_build(self, builder_name: str) -> defer.Deferred[Any]:
        """``startBuild`` on the builder's WorkerForBuilder (a no-op that old masters sent)."""
        return self._on_builder(builder_name, "startBuild")

    def start_command(
        self,
        builder_name: str,
        command_ref: Any,
        command_id: str,
        command_name: str,
        args: dict[str, Any],
    ) -> defer.Deferred[Any]:
        """Start ``command_name`` on the worker; updates go to ``command_ref`` (a Referenceable)."""
        return self._on_builder(
            builder_name, "startCommand", command_ref, command_id, command_name, args
        )

    def interrupt_command(
        self, builder_name: str, command_id: str, why: str
    ) -> defer.Deferred[Any]:
        return self._on_builder(builder_name, "interruptCommand", command_id, why)

    def remote_shutdown(self) -> defer.Deferred[None]:
        """Ask the worker process to stop; a connection that drops meanwhile counts as done."""
        d = self.bot.call("shutdown")
        d.addCallback(lambda _: None)
        d.addErrback(lambda f: None if is_connection_lost(f) else f)
        return d

    # -- the link ------------------------------------------------------------------

    def lose_connection(self) -> None:
        """Close the connection; abort it if the close has not finished after ``ABORT_AFTER``."""
        if not self.is_connected:
            return
        self.bot.lose_connection()
        if self._abort_call is None:
            self._abort_call = self.clock.callLater(ABORT_AFTER, self.abort)

    def abort(self) -> None:
        """Drop the connection at once (it is presumed dead)."""
        self._abort_call = None
        if self.is_connected:
            self.bot.abort_connection()

    def notify_on_disconnect(self, callback: Callable[[], None]) -> Callable[[], None]:
        """Call ``callback`` once when the connection is lost; returns a function that cancels.

        On a connection that is already lost the callback runs at once.
        """
        if self._lost:
            callback()
            return lambda: None
        self._callbacks.append(callback)

        def cancel() -> None:
            if callback in self._callbacks:
                self._callbacks.remove(callback)

        return cancel

    def _disconnected(self) -> None:
        if self._lost:
            return
        self._lost = True
        self.stop_keepalive()
        if self._abort_call is not None and self._abort_call.active():
            self._abort_call.cancel()
        self._abort_call = None
        callbacks, self._callbacks = self._callbacks, []
        for callback in callbacks:
            try:
                callback()
            except Exception:
                log.failure("a disconnect callback of worker {name} failed", name=self.name)

    # -- master keepalives -----------------------------------------------------------

    def start_keepalive(self, interval: float | None) -> None:
        """Send ``print(message="keepalive")`` every ``interval`` seconds; None stops it."""
        if interval == self._keepalive_interval and self._keepalive is not None:
            return
        self.stop_keepalive()
        self._keepalive_interval = interval
        if interval is None or self._lost:
            return
        self._keepalive = task.LoopingCall(self._send_keepalive)
        self._keepalive.clock = self.clock
        self._keepalive.start(interval, now=False)

    def stop_keepalive(self) -> None:
        if self._keepalive is not None and self._keepalive.running:
            self._keepalive.stop()
        self._keepalive = None
        self._keepalive_interval = None

    def _send_keepalive(self) -> None:
        if self._keepalive_pending or not self.is_connected:
            return
        self._keepalive_pending = True
        window = self.answer_window
        d = self.remote_print("keepalive")
        d.addTimeout(window, self.clock)
        d.addCallbacks(self._keepalive_answered, self._keepalive_failed, errbackArgs=(window,))

    def _keepalive_answered(self, _: object) -> None:
        self._keepalive_pending = False

    def _keepalive_failed(self, failure: Failure, window: float) -> None:
        self._keepalive_pending = False
        if not self.is_connected:
            return
        log.warn(
            "worker {name} ({peer}) did not answer a keepalive ({error}); dropping the connection",
            name=self.name,
            peer=self.peer,
            error=_unanswered(failure, window),
        )
        self.abort()

    # -- what the worker's perspective forwards (the protocol's Avatar) ---------------

    def keepalive_received(self) -> None:
        self.last_keepalive = self.clock.seconds()

    def shutdown_requested(self) -> None:
        log.info("worker {name} asks to shut down once it is idle", name=self.name)
        if self.on_shutdown_request is not None:
            self.on_shutdown_request()

    def logged_out(self) -> None:
        # The worker released its perspective (or the link dropped): without it the worker
        # cannot send keepalives, so the connection is over.
        if self.is_connected:
            log.info("worker {name} released its login; closing the connection", name=self.name)
            self.lose_connection()
