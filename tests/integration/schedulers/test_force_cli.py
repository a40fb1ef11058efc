"""``marid force`` as a real process, against a REST server on 127.0.0.1 running the schedulers.

The server runs in the test's reactor, so the command is spawned with
``getProcessOutputAndValue`` rather than ``subprocess`` (which would block
the reactor the server needs). Both sides read the same ``master.cfg``.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import reactor
from twisted.internet.defer import Deferred
from twisted.internet.task import deferLater
from twisted.internet.utils import getProcessOutputAndValue
from twisted.web.resource import Resource
from twisted.web.server import Site

from marid.config.loader import load_config
from marid.plugins import util
from marid.www.rest import RestResource
from tests.fixtures.data import RecordingData
from tests.integration.schedulers.conftest import Env, environment

pytestmark = pytest.mark.db_backends("sqlite")

CONFIG = """\
from types import SimpleNamespace
from marid.plugins import schedulers, util
c = BuildmasterConfig = {{}}
c['builders'] = [SimpleNamespace(name='hello')]
c['www'] = {{'port': "tcp:{port}:interface=127.0.0.1"}}
c['schedulers'] = [
    schedulers.ForceScheduler('force', ['hello'], properties=[util.IntParameter('jobs')]),
]
"""


@dataclass
class Served:
    env: Env
    basedir: Path

    def marid_force(self, *args: str) -> Deferred[tuple[bytes, bytes, int]]:
        command = ("-m", "marid.scripts.force", *args)
        return getProcessOutputAndValue(sys.executable, command, env=dict(os.environ))


@pytest_twisted.async_yield_fixture()
async def served(data: RecordingData, tmp_path: Path) -> AsyncIterator[Served]:
    root = Resource()
    api = Resource()
    root.putChild(b"api", api)
    api.putChild(b"v2", RestResource(data))
    port = reactor.listenTCP(0, Site(root), interface="127.0.0.1")
    (tmp_path / "master.cfg").write_text(CONFIG.format(port=port.getHost().port))
    cfg = load_config(tmp_path)
    env = await environment(data, *cfg.schedulers, builders=("hello",))
    yield Served(env, tmp_path)
    await port.stopListening()


WAIT_SECONDS = 30


async def until(condition: Callable[[], bool]) -> None:
    deadline = time.monotonic() + WAIT_SECONDS
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await deferLater(reactor, 0.05, lambda: None)


@pytest_twisted.ensureDeferred
async def test_force_prints_the_buildset_and_request(served: Served) -> None:
    out, err, code = await served.marid_force(
        "--reason", "from the shell", "--property", "jobs=4", "--branch", "main",
        str(served.basedir), "hello",
    )  # fmt: skip

    assert (code, err) == (0, b""), err
    bsid = int(out.split()[1].rstrip(b":"))
    assert out.decode() == f"buildset {bsid}: build request 1 on builder 'hello'\n"
    buildset = await served.env.buildset(bsid)
    assert buildset["reason"] == "A build was forced by '': from the shell"
    assert buildset["sourcestamps"][0]["branch"] == "main"
    assert (await served.env.properties(bsid))["jobs"] == [4, "Force Build Form"]


@pytest_twisted.ensureDeferred
async def test_mistakes_are_one_line_each(served: Served) -> None:
    basedir = str(served.basedir)
    cases = [
        (("--property", "nope=1", basedir, "hello"), "the scheduler has no field 'nope'"),
        (("--property", "jobs=many", basedir, "hello"), "jobs: 'many' is not a whole number"),
        ((basedir, "other"), "no force scheduler in master.cfg offers builder 'other'"),
        (("--url", "http://127.0.0.1:1/", "hello"), "cannot reach the master at"),
    ]
    for args, expected in cases:
        out, err, code = await served.marid_force(*args)
        message = err.decode()
        assert code == 1 and out == b"", message
        assert message.startswith("marid force: ") and expected in message
        assert message.count("\n") == 1, message


@pytest_twisted.ensureDeferred
async def test_wait_returns_when_the_buildset_completes(served: Served) -> None:
    data = served.env.data
    running = served.marid_force("--wait", str(served.basedir), "hello")
    await until(lambda: bool(data.keys("buildrequests/")))
    brid = int(data.keys("buildrequests/")[0].split("/")[1])

    await data.buildrequests.complete_build_requests([brid], util.WARNINGS)
    out, err, code = await running

    assert (code, err) == (0, b""), err
    assert out.decode().splitlines()[-1].endswith("complete: warnings")
