"""``Build``: one run of a builder's steps on one worker, from the build row to the result.

The distributor has claimed the request and counted the worker slot; ``run``
then: adds the build row, stores the starting properties with one
``set_build_properties``, takes the builder's locks (all at once, so builds
cannot deadlock), pings the worker and sends ``startBuild`` (pipelined; a
failure, or no answer within the connection's ``answer_window``, means RETRY
and the worker is dropped), runs the steps in order, and finishes: the build row,
then the request (completed, or unclaimed for a new build when the result is
RETRY). The worker's ``max_builds`` slot is freed as soon as the last step
ends, before the bookkeeping, and the distributor is kicked at once; the
same builder gets the worker again only once that bookkeeping is done (see
``BotMaster.is_building``).

The database may be unavailable (disk full, locked): the writes that end a
build (its steps' ends and properties, its logs' completion, its result,
its requests) are owed writes, retried with backoff until they are stored
(see ``owedwrites.py``), so the build is finished in the database once it
can be rather than left ``building``. Log lines that cannot be stored stop
the build with EXCEPTION and the reason: its record would be incomplete.

A step runs unless the build is stopping (a step failed with
``haltOnFailure``, an EXCEPTION/RETRY/CANCELLED, or ``stop``), in which case
only ``alwaysRun`` steps still run. ``stop`` interrupts the running step (or
gives up waiting for locks or the ping) and makes the result CANCELLED (or
what the caller asks). ``abandon`` is a stop for a build whose builder the
worker no longer serves (a reconfig removed the builder, the worker from its
``workernames``, or moved the builder's directory on the worker): the running
command ends at once, without waiting for the worker, and no further step
runs, not even ``alwaysRun`` ones. Property changes made by
steps are written once per step (``flush_properties``).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from typing import TYPE_CHECKING, Any

from twisted.internet import defer
from twisted.logger import Logger

from marid.process.buildlogs import BuildLogs
from marid.process.buildsetup import fill_properties, log_limits, render_context
from marid.process.owedwrites import OwedLogStore
from marid.process.properties import Properties
from marid.process.results import (
    CANCELLED,
    EXCEPTION,
    RETRY,
    SUCCESS,
    Results,
    compute_result_and_termination,
)
from marid.process.steplog import redact
from marid.process.steprunner import run_step

if TYPE_CHECKING:
    from marid.data.connector import DataConnector
    from marid.db.errors import DatabaseUnavailable
    from marid.master import BuildMaster
    from marid.process.builder import Builder
    from marid.process.buildrequest import BuildRequest
    from marid.process.buildstep import BuildStep
    from marid.workers.connection import Connection

log = Logger()


class Build:
    """One build; ``await build.run()`` returns its result and never raises."""

    def __init__(
        self,
        master: BuildMaster,
        builder: Builder,
        request: BuildRequest,
        worker_name: str,
        connection: Connection,
    ) -> None:
        self.master = master
        self.builder = builder
        self.request = request
        self.requests = [request]
        self.worker_name = worker_name
        self.workerbuilddir: str = builder.config.workerbuilddir  # as the worker was told
        self.connection = connection
        self.worker_info: Mapping[str, Any] = connection.info
        self.buildid = 0
        self.number = 0
        self.results: Results = SUCCESS
        self.stopped: str | None = None
        self.stop_results: Results = CANCELLED
        self.current_step: BuildStep | None = None
        self.steps: list[BuildStep] = []
        self.properties = Properties(
            render_context=render_context(master, request, connection, self)
        )
        self.owed = builder.botmaster.owed_writes
        self.logs = BuildLogs(
            OwedLogStore(self.master_data.logs, self.owed, self._logs_not_stored),
            master.reactor,
            self.properties.secrets_used,
            log_limits(master),
        )
        self._dirty_properties: set[str] = set()
        self._background: set[defer.Deferred[Any]] = set()
        self._slot_freed = False
        self._lock_wait: defer.Deferred[None] | None = None
        self._ping_wait: defer.Deferred[Any] | None = None
        self.abandoned = False
        self.status: str | None = None  # the final status line when not just the result

    @property
    def master_data(self) -> DataConnector:
        return self.builder.botmaster.data

    @property
    def builder_name(self) -> str:
        return self.builder.name

    @property
    def workdir(self) -> str:
        """The default work directory of the steps: the factory's ``workdir`` (``"build"``)."""
        workdir = getattr(self.builder.config.factory, "workdir", None)
        return workdir if isinstance(workdir, str) and workdir else "build"

    # -- what steps and renderables read (Buildbot's names) ---------------------------

    def getProperties(self) -> Any:
        return self.properties

    def getProperty(self, name: str, default: Any = None) -> Any:
        return self.properties.getProperty(name, default)

    def setProperty(self, name: str, value: Any, source: str, runtime: bool = True) -> None:
        self.set_property(name, value, source, runtime)

    def getWorkerName(self) -> str:
        return self.worker_name

    def set_property(self, name: str, value: Any, source: str, runtime: bool = True) -> None:
        self.properties.setProperty(name, value, source, runtime)
        self._dirty_properties.add(name)

    async def flush_properties(self) -> None:
        """Store the properties changed since the last call, in one statement."""
        if not self._dirty_properties or not self.buildid:
            return
        names, self._dirty_properties = self._dirty_properties, set()
        changed = {name: self._stored(name) for name in names if name in self.properties}
        try:
            await self.master_data.builds.set_build_properties(self.buildid, changed)
        except Exception:
            self._dirty_properties |= names  # still to be stored, by the next call
            raise

    def _stored(self, name: str) -> tuple[Any, str]:
        value = self.properties.getProperty(name)
        if isinstance(value, str):
            value = redact(value, self.properties.secrets_used)
        return value, self.properties.getPropertySource(name)

    async def set_step_state(self, step: BuildStep, text: str) -> None:
        text = redact(text, self.properties.secrets_used)
        await self.master_data.steps.set_step_state_string(step.stepid, text)

    async def add_step_url(self, step: BuildStep, name: str, url: str) -> None:
        url = redact(url, self.properties.secrets_used)
        await self.master_data.steps.add_step_url(step.stepid, name, url)

    def background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run ``work`` alongside the build; its failure is logged; the build waits for it."""
        d: defer.Deferred[Any] = defer.Deferred.fromCoroutine(work)
        self._background.add(d)
        d.addErrback(
            lambda f: log.failure("background work of build {id} failed", f, id=self.buildid)
        )
        d.addBoth(lambda _: self._background.discard(d))

    # -- locks -------------------------------------------------------------------------

    async def acquire_step_locks(self, step: BuildStep) -> None:
        await self.builder.botmaster.locks.acquire_all(step.locks, step, self.worker_name)

    def release_step_locks(self, step: BuildStep) -> None:
        self.builder.botmaster.locks.release_all(step)
        self.builder.botmaster.distributor.kick()

    # -- control -----------------------------------------------------------------------

    def stop(self, reason: str, results: Results = CANCELLED) -> None:
        """Stop the build: interrupt the running step, run only ``alwaysRun`` steps after it."""
        if self.stopped is not None:
            return
        self.stopped = reason or "stopped"
        self.stop_results = results
        if self.current_step is not None:
            self.current_step.interrupt(self.stopped)
        if self._lock_wait is not None and not self._lock_wait.called:
            self._lock_wait.cancel()  # the registry withdraws the request
        if self._ping_wait is not None and not self._ping_wait.called:
            self._ping_wait.cancel()  # a worker that does not answer must not delay the stop

    def abandon(self, reason: str) -> None:
        """Stop the build for good: its builder is gone from the worker (see the module doc)."""
        if self.abandoned:
            return
        self.abandoned = True
        self.stop(reason, CANCELLED)
        if self.current_step is not None:
            self.current_step.abandon(self.stopped or reason)

    def _logs_not_stored(self, error: DatabaseUnavailable) -> None:
        self.stop(f"the database cannot store the logs ({error.reason})", EXCEPTION)

    async def owe(self, what: str, fn: Callable[[], Awaitable[Any]]) -> None:
        """A write the build's end needs: retried while the database is unavailable."""
        await self.owed.write(f"{what} of build {self.buildid}", fn)

    # -- the lifecycle -------------------------------------------------------------------

    async def run(self) -> Results:
        data = self.master_data
        requeue = False
        # The worker may hold only so many builder references; this one stays while it builds.
        release_builder = self.connection.hold_builder(self.builder_name)
        try:
            self.buildid, self.number = await data.builds.add_build(
                self.builder.builderid,
                self.request.id,
                self.builder.botmaster.workers.workerid(self.worker_name),
                self.builder.botmaster.masterid,
                "building",
            )
            await fill_properties(
                self.properties,
                self.master,
                self.builder,
                self.request,
                self.worker_name,
                self.connection,
            )
            self.properties.setProperty("buildnumber", self.number, "Build")
            await data.builds.set_build_properties(
                self.buildid, {n: self._stored(n) for n in self.properties}
            )
            self.results = await self._run_build()
        except Exception as error:
            log.failure(
                "build {id} of {builder} failed", id=self.buildid, builder=self.builder_name
            )
            self.results = Results.EXCEPTION
            self.status = redact(f"exception: {error}", self.properties.secrets_used)
        release_builder()
        requeue = self.results == RETRY
        self._free_slot()
        await self._finish(requeue)
        return self.results

    async def _run_build(self) -> Results:
        locks = self.builder.config.locks
        if locks:
            started = time.monotonic()
            registry = self.builder.botmaster.locks
            if not registry.is_available(locks, self.worker_name):
                await self.master_data.builds.set_build_state_string(
                    self.buildid, "waiting for locks"
                )
            self._lock_wait = defer.Deferred.fromCoroutine(
                registry.acquire_all(locks, self, self.worker_name)
            )
            try:
                await self._lock_wait
            except defer.CancelledError:
                self.status = f"{self.stop_results.text}: {self.stopped} (waiting for locks)"
                return self.stop_results
            finally:
                self._lock_wait = None
            waited = int(time.monotonic() - started)
            if waited:
                await self.master_data.builds.add_build_locks_duration(self.buildid, waited)
        try:
            failed = await self._ping()
            return failed if failed is not None else await self._run_steps()
        finally:
            if locks:
                self.builder.botmaster.locks.release_all(self)

    async def _ping(self) -> Results | None:
        """Ping the worker and send ``startBuild``; the build's result if it cannot go on.

        A failed ping gives RETRY. A stop while waiting gives the stop's result
        at once: no step runs, not even ``alwaysRun``, on a worker that has not answered.
        """
        self._ping_wait = defer.gatherResults(
            [self.connection.ping(), self.connection.start_build(self.builder_name)],
            consumeErrors=True,
        )
        try:
            await self._ping_wait
        except Exception as failed:
            error = failed.subFailure.value if isinstance(failed, defer.FirstError) else failed
            if isinstance(error, defer.CancelledError) and self.stopped is not None:
                self.status = f"{self.stop_results.text}: {self.stopped} (waiting for the ping)"
                return self.stop_results
            log.info(
                "build {id}: worker {w} failed the ping: {e}",
                id=self.buildid,
                w=self.worker_name,
                e=error,
            )
            self.status = f"retry: the worker did not answer the ping ({error})"
            return RETRY
        finally:
            self._ping_wait = None
        return None

    async def _run_steps(self) -> Results:
        self.steps = self.builder.config.factory.new_steps()
        results: Results = SUCCESS
        terminate = False
        for step in self.steps:
            if self.abandoned or ((terminate or self.stopped is not None) and not step.alwaysRun):
                continue
            if not self.connection.is_connected:
                results = RETRY
                break
            outcome = await run_step(self, step)
            results, halt = compute_result_and_termination(step, outcome, results)
            terminate = terminate or halt
        if self.stopped is not None and results != RETRY:
            results = self.stop_results
            self.status = f"{results.text}: {self.stopped}"
        return results

    def _free_slot(self) -> None:
        if self._slot_freed:
            return
        self._slot_freed = True
        self.builder.build_ended(self)

    async def _finish(self, requeue: bool) -> None:
        data = self.master_data
        if self._background:
            await defer.DeferredList(list(self._background))
        brids = [self.request.id]
        try:
            await self.owe("store the properties", self.flush_properties)
            if self.buildid:
                status = self.status or self.results.text
                await self.owe(
                    "store the status",
                    lambda: data.builds.set_build_state_string(self.buildid, status),
                )
                await self.owe(
                    "record the end", lambda: data.builds.finish_build(self.buildid, self.results)
                )
            if requeue:
                await self.owe(
                    "unclaim the request", lambda: data.buildrequests.unclaim_build_requests(brids)
                )
            else:
                await self.owe(
                    "complete the request",
                    lambda: data.buildrequests.complete_build_requests(brids, self.results),
                )
        except Exception:
            log.failure("could not record the end of build {id}", id=self.buildid)
