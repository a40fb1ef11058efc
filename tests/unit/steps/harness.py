"""Run one step in a real ``Build`` whose worker and data API the test plays.

``ScriptedWorker`` answers each command the step starts with a handler
``handler(name, args) -> updates`` (a list of update dicts, sent with
``complete``; None leaves the command running until it is interrupted);
transfer handlers call the writer or reader in ``args`` themselves.
``run(step, worker, ...)`` runs the step through the real step runner and
returns an ``Outcome``: the result, the final status line, URLs, logs (text
without stream prefixes) and the build's properties.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from twisted.internet import defer, reactor, task
from twisted.internet.task import Clock

from marid.config.master_config import MasterConfig
from marid.process.build import Build
from marid.process.buildrequest import BuildRequest
from marid.process.buildstep import BuildStep
from marid.process.owedwrites import OwedWrites
from marid.process.properties import Properties
from marid.process.results import Results
from marid.process.steprunner import run_step

Handler = Callable[[str, dict[str, Any]], list[dict[str, Any]] | None]


@dataclass
class Started:
    name: str
    args: dict[str, Any]
    ref: Any
    command_id: str


@dataclass
class ScriptedWorker:
    handler: Handler
    info: dict[str, Any] = field(default_factory=lambda: {"system": "posix", "basedir": "/w"})
    started: list[Started] = field(default_factory=list)
    interrupted: list[str] = field(default_factory=list)
    is_connected: bool = True
    _watchers: list[Callable[[], None]] = field(default_factory=list)

    @property
    def commands(self) -> list[tuple[str, dict[str, Any]]]:
        return [(s.name, s.args) for s in self.started]

    def start_command(
        self, builder_name: str, ref: Any, command_id: str, name: str, args: dict[str, Any]
    ) -> defer.Deferred[Any]:
        self.started.append(Started(name, args, ref, command_id))
        updates = self.handler(name, args)
        if updates is not None:
            ref.remote_update([[update, 0] for update in updates])
            ref.remote_complete(None)
        return defer.succeed(None)

    def interrupt_command(
        self, builder_name: str, command_id: str, why: str
    ) -> defer.Deferred[Any]:
        self.interrupted.append(why)
        for started in self.started:
            if started.command_id == command_id:
                started.ref.remote_update([[{"rc": -1}, 0]])
                started.ref.remote_complete(None)
        return defer.succeed(None)

    def notify_on_disconnect(self, callback: Callable[[], None]) -> Callable[[], None]:
        self._watchers.append(callback)
        return lambda: None


class FakeData:
    """The parts of the data API a running step writes to, kept in dicts."""

    def __init__(self) -> None:
        self.steps = SimpleNamespace(
            add_step=self._add_step,
            start_step=self._noop,
            set_step_state_string=self._state,
            add_step_url=self._url,
            finish_step=self._finish_step,
        )
        self.logs = SimpleNamespace(
            add_log=self._add_log, append_log=self._append, finish_log=self._noop
        )
        self.builds = SimpleNamespace(set_build_properties=self._noop)
        self.states: list[str] = []
        self.urls: list[tuple[str, str]] = []
        self.log_names: dict[int, str] = {}
        self.log_text: dict[int, str] = {}
        self.finished: list[tuple[int, bool]] = []

    async def _noop(self, *args: Any, **kwargs: Any) -> None:
        return None

    async def _add_step(self, buildid: int, name: str) -> tuple[int, int, str]:
        return 1, 0, name

    async def _state(self, stepid: int, text: str) -> None:
        self.states.append(text)

    async def _url(self, stepid: int, name: str, url: str) -> None:
        self.urls.append((name, url))

    async def _finish_step(self, stepid: int, result: int, hidden: bool = False) -> None:
        self.finished.append((result, hidden))

    async def _add_log(self, stepid: int, name: str, type: str) -> int:
        logid = len(self.log_names) + 1
        self.log_names[logid] = name
        self.log_text[logid] = ""
        return logid

    async def _append(self, logid: int, content: str) -> tuple[int, int]:
        # A real database answers later; StepLog relies on that (an append that completes
        # synchronously leaves its drain Deferred set and makes flush() spin).
        await task.deferLater(reactor, 0, lambda: None)
        self.log_text[logid] += content
        return 0, 0

    def logs_by_name(self) -> dict[str, str]:
        """Each log's text; stdio lines lose their one-letter stream prefix."""
        result: dict[str, str] = {}
        for logid, name in self.log_names.items():
            text = self.log_text[logid]
            if name == "stdio":
                text = "".join(line[1:] for line in text.splitlines(keepends=True))
            result[name] = text
        return result


@dataclass
class Outcome:
    result: Results
    status: str
    urls: list[tuple[str, str]]
    logs: dict[str, str]
    properties: Properties
    build: Build


def make_build(
    worker: ScriptedWorker,
    basedir: Path,
    *,
    properties: Mapping[str, Any] | None = None,
    sourcestamps: Mapping[str, Mapping[str, Any]] | None = None,
    master_attrs: Mapping[str, Any] | None = None,
) -> tuple[Build, FakeData]:
    data = FakeData()
    clock = Clock()
    config = MasterConfig.defaults(str(basedir))
    attrs: dict[str, Any] = {
        "basedir": str(basedir),
        "reactor": clock,
        "data": data,
        "config": config,
        "workers": None,
        "masterid": 1,
        "scheduler_manager": None,
    }
    master = SimpleNamespace(**{**attrs, **dict(master_attrs or {})})
    botmaster = SimpleNamespace(
        master=master,
        data=data,
        locks=None,
        distributor=SimpleNamespace(kick=lambda: None),
        owed_writes=OwedWrites(clock),
    )
    builder = SimpleNamespace(
        name="b1",
        builderid=1,
        botmaster=botmaster,
        config=SimpleNamespace(
            env={}, locks=[], factory=SimpleNamespace(workdir="build"), workerbuilddir="b1"
        ),
    )
    stamps = {k: dict(v) for k, v in (sourcestamps or {}).items()}
    request = BuildRequest(1, 1, 1, "b1", 0, 0, None, False, Properties(), stamps)
    build = Build(master, builder, request, "w1", worker)  # type: ignore[arg-type]  # fakes
    build.buildid = 7
    build.properties.update(dict(properties or {}), "Test")
    return build, data


async def run(
    step: BuildStep,
    worker: ScriptedWorker,
    basedir: Path,
    *,
    properties: Mapping[str, Any] | None = None,
    sourcestamps: Mapping[str, Mapping[str, Any]] | None = None,
    master_attrs: Mapping[str, Any] | None = None,
) -> Outcome:
    """Run a fresh instance of ``step`` (as a build would) and report what it did."""
    build, data = make_build(
        worker,
        basedir,
        properties=properties,
        sourcestamps=sourcestamps,
        master_attrs=master_attrs,
    )
    result = await run_step(build, step.new_instance())
    return Outcome(
        result, data.states[-1] if data.states else "", data.urls, data.logs_by_name(),
        build.properties, build,
    )  # fmt: skip


def shell_argvs(worker: ScriptedWorker) -> list[list[str]]:
    """The argv of every ``shell`` command the worker ran, in order."""
    return [list(args["command"]) for name, args in worker.commands if name == "shell"]


async def until(condition: Callable[[], bool], turns: int = 1000) -> None:
    """Let the reactor turn until ``condition()`` holds (log writes take a turn each)."""
    for _ in range(turns):
        if condition():
            return
        await task.deferLater(reactor, 0, lambda: None)
    raise AssertionError("condition never became true")
