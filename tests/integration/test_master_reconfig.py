"""A BuildMaster in this process: reconfig touches only what changed and survives bad configs."""

from __future__ import annotations

import socket
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest
import pytest_twisted
from twisted.internet import defer, reactor, task
from twisted.logger import formatEvent, globalLogPublisher

from marid.db.engine import make_engine
from marid.db.migrate import upgrade
from marid.master import BuildMaster
from marid.www.rpcbody import BodyLimits

CONFIG = """\
c = BuildmasterConfig = {{}}
c['title'] = {title!r}
c['www'] = {{'port': "tcp:{port}:interface=127.0.0.1"}}
c['protocols'] = {{'pb': {{'port': "tcp:0:interface=127.0.0.1"}}}}
c['db_url'] = {db_url!r}
c['builders'] = [type("B", (), {{"name": n}})() for n in {builders!r}]
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def write(
    basedir: Path,
    *,
    title: str = "one",
    port: int,
    builders: tuple[str, ...] = ("a",),
    db_url: str = "sqlite:///state.sqlite",
) -> None:
    (basedir / "master.cfg").write_text(
        CONFIG.format(title=title, port=port, builders=list(builders), db_url=db_url)
    )


@pytest.fixture
def basedir(tmp_path: Path) -> Path:
    engine = make_engine("sqlite:///state.sqlite", str(tmp_path))
    upgrade(engine)
    engine.dispose()
    return tmp_path


@pytest_twisted.async_yield_fixture
async def running(basedir: Path) -> AsyncIterator[tuple[BuildMaster, int]]:
    port = free_port()
    write(basedir, port=port)
    master = BuildMaster(str(basedir), reactor)
    await master.start_master()
    master.startService()
    yield master, port
    await master.stop_master()


@pytest.fixture
def log() -> Iterator[list[str]]:
    """The text of every log event emitted during the test."""
    lines: list[str] = []

    def observer(event: dict[str, object]) -> None:
        lines.append(formatEvent(event))

    globalLogPublisher.addObserver(observer)
    yield lines
    globalLogPublisher.removeObserver(observer)


@pytest_twisted.ensureDeferred
async def test_title_change_keeps_the_listener(
    running: tuple[BuildMaster, int], basedir: Path
) -> None:
    master, port = running
    assert master.www is not None
    listener = master.www.listening
    write(basedir, title="two", port=port)
    assert await master.reconfig()
    assert master.www.listening is listener
    assert master.www.title == "two"


URL_CONFIG = """\
c = BuildmasterConfig = {{}}
c['www'] = {{'port': "tcp:{port}:interface=127.0.0.1"}}
c['protocols'] = {{'pb': {{'port': "tcp:0:interface=127.0.0.1"}}}}
c['buildbotURL'] = {url!r}
"""


@pytest_twisted.ensureDeferred
async def test_reconfig_summary_names_the_changed_key(basedir: Path, log: list[str]) -> None:
    port = free_port()
    config = basedir / "master.cfg"
    config.write_text(URL_CONFIG.format(port=port, url="http://127.0.0.1:8010/"))
    master = BuildMaster(str(basedir), reactor)
    await master.start_master()
    master.startService()
    try:
        config.write_text(URL_CONFIG.format(port=port, url="http://ci.example.org/"))
        assert await master.reconfig()
        assert master.config is not None
        assert master.config.buildbot_url == "http://ci.example.org/"
        assert [line for line in log if "reconfig applied" in line] == [
            "reconfig applied: buildbotURL"
        ]
    finally:
        await master.stop_master()


GATED = """\
import os, time
open(os.path.join(basedir, "evaluating"), "w").close()
for _ in range(600):
    if os.path.exists(os.path.join(basedir, "go")):
        break
    time.sleep(0.05)
"""


@pytest_twisted.ensureDeferred
async def test_a_config_evaluated_while_the_master_stops_is_not_applied(
    basedir: Path, log: list[str]
) -> None:
    port = free_port()
    write(basedir, port=port)
    master = BuildMaster(str(basedir), reactor)
    await master.start_master()
    master.startService()
    before = master.config
    config = basedir / "master.cfg"
    config.write_text(GATED + config.read_text().replace("'one'", "'two'"))
    pending = defer.Deferred.fromCoroutine(master.reconfig())
    while not (basedir / "evaluating").exists():
        await task.deferLater(reactor, 0.05, lambda: None)
    await master.stop_master()
    (basedir / "go").touch()
    assert await pending is False
    assert master.config is before
    assert any("reconfig failed: the master is stopping" in line for line in log)


@pytest_twisted.ensureDeferred
async def test_port_change_reopens_the_listener(
    running: tuple[BuildMaster, int], basedir: Path
) -> None:
    master, port = running
    assert master.www is not None
    new_port = free_port()
    write(basedir, port=new_port)
    assert await master.reconfig()
    assert master.www.listening.getHost().port == new_port
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


@pytest_twisted.ensureDeferred
async def test_builder_list_follows_the_config(
    running: tuple[BuildMaster, int], basedir: Path
) -> None:
    master, port = running
    assert master.data is not None
    write(basedir, port=port, builders=("a", "b"))
    assert await master.reconfig()
    result, _ = await master.data.get(f"masters/{master.masterid}/builders")
    assert sorted(b["name"] for b in result.items) == ["a", "b"]


@pytest_twisted.ensureDeferred
async def test_broken_config_leaves_everything_in_place(
    running: tuple[BuildMaster, int], basedir: Path, log: list[str]
) -> None:
    master, _ = running
    before = master.config
    (basedir / "master.cfg").write_text(
        "c = BuildmasterConfig = {}\nc['title'] = 3\nc['wwww'] = {}\n"
    )
    assert not await master.reconfig()
    assert master.config is before
    assert any("master.cfg:2:" in line for line in log)
    assert any("master.cfg:3:" in line and "'www'" in line for line in log)
    assert any("reconfig failed" in line for line in log)


@pytest_twisted.ensureDeferred
async def test_database_change_is_logged_as_needing_a_restart(
    running: tuple[BuildMaster, int], basedir: Path, log: list[str]
) -> None:
    master, port = running
    db = master.db
    write(basedir, port=port, db_url="sqlite:///other.sqlite")
    assert await master.reconfig()
    assert master.db is db
    assert any("needs a restart" in line and "db_url" in line for line in log)


@pytest_twisted.ensureDeferred
async def test_port_in_use_fails_the_reconfig_and_keeps_the_old_listener(
    running: tuple[BuildMaster, int], basedir: Path
) -> None:
    master, port = running
    assert master.www is not None
    listener = master.www.listening
    with socket.socket() as blocker:
        blocker.bind(("127.0.0.1", 0))
        blocker.listen()
        write(basedir, port=blocker.getsockname()[1])
        assert not await master.reconfig()
    assert master.www.listening is listener
    assert master.config is not None and master.config.www_port.endswith(
        f"tcp:{port}:interface=127.0.0.1"
    )


BUILDER_INFO_CONFIG = """\
from marid.plugins import steps, util, worker
c = BuildmasterConfig = {{}}
c['www'] = {{'port': "tcp:{port}:interface=127.0.0.1"}}
c['protocols'] = {{'pb': {{'port': "tcp:0:interface=127.0.0.1"}}}}
c['workers'] = [worker.Worker('w1', 'pw')]
c['builders'] = [
    util.BuilderConfig(
        name='docs', workernames=['w1'], tags={tags!r}, description={description!r},
        factory=util.BuildFactory([steps.ShellCommand(command=['true'])]),
    ),
]
"""


@pytest_twisted.ensureDeferred
async def test_builder_tags_and_description_follow_the_config(basedir: Path) -> None:
    port = free_port()
    config = basedir / "master.cfg"
    config.write_text(
        BUILDER_INFO_CONFIG.format(port=port, tags=["doc", "fast"], description="the manual")
    )
    master = BuildMaster(str(basedir), reactor)
    await master.start_master()
    master.startService()
    try:
        assert master.data is not None
        result, _ = await master.data.get("builders/docs")
        assert (result.items[0]["tags"], result.items[0]["description"]) == (
            ["doc", "fast"],
            "the manual",
        )
        config.write_text(BUILDER_INFO_CONFIG.format(port=port, tags=["slow"], description=None))
        assert await master.reconfig()
        result, _ = await master.data.get("builders/docs")
        assert (result.items[0]["tags"], result.items[0]["description"]) == (["slow"], None)
    finally:
        await master.stop_master()


WWW_OPTIONS_CONFIG = """\
c = BuildmasterConfig = {{}}
c['www'] = {{
    'port': "tcp:{port}:interface=127.0.0.1",
    'json_cache_seconds': 30,
    'ws_ping_interval': 5,
    'versions': [('our-app', '4.2')],
    'logfileName': 'web-access.log',
    'max_request_body': 100_000,
    'max_url_length': 2000,
    'max_header_size': 3000,
    'max_json_depth': 8,
    'max_reason_length': 300,
    'max_field_length': 400,
    'trusted_proxies': ['127.0.0.1', '127.0.10.0/24'],
}}
c['protocols'] = {{'pb': {{'port': "tcp:0:interface=127.0.0.1"}}}}
"""


@pytest_twisted.ensureDeferred
async def test_www_options_reach_the_web_service(basedir: Path) -> None:
    port = free_port()
    (basedir / "master.cfg").write_text(WWW_OPTIONS_CONFIG.format(port=port))
    master = BuildMaster(str(basedir), reactor)
    await master.start_master()
    master.startService()
    try:
        www = master.www
        assert www is not None
        assert www.rest.cache_seconds == 30
        assert www.ws_factory.autoPingInterval == 5
        assert www.extra_versions == [("our-app", "4.2")]
        assert www.site.access_log is not None
        assert (basedir / "web-access.log").exists()
        limits = www.site.limits
        assert (limits.max_request_body, limits.max_url_length, limits.max_header_size) == (
            100_000,
            2000,
            3000,
        )
        assert www.rest.limits == BodyLimits(8, 300, 400)
        assert [str(n) for n in www.guard.trusted_proxies] == ["127.0.0.1/32", "127.0.10.0/24"]
    finally:
        await master.stop_master()
    assert www.site.access_log is None
