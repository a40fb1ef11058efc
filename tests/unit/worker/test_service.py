"""The worker service: which endpoint it dials, shutdown triggers, and how it ends."""

from __future__ import annotations

import importlib.util
import os
from pathlib import Path

import pytest
from twisted.internet import defer
from twisted.internet.endpoints import HostnameEndpoint
from twisted.internet.testing import MemoryReactorClock

from marid_worker.config import WorkerConfig
from marid_worker.errors import ConfigError
from marid_worker.service import Worker, make_endpoint
from tests.unit.worker.loopback import FakeMaster, LoopbackEndpoint


def config(**changes: object) -> WorkerConfig:
    values: dict[str, object] = {
        "master_host": "127.0.0.1",
        "master_port": 9989,
        "name": "w1",
        "password": "pass",
    }
    values.update(changes)
    return WorkerConfig(**values)  # type: ignore[arg-type]


def test_host_and_port_dial_a_hostname_endpoint() -> None:
    assert isinstance(make_endpoint(MemoryReactorClock(), config()), HostnameEndpoint)


def test_a_connection_string_is_used_instead_of_host_and_port() -> None:
    endpoint = make_endpoint(
        MemoryReactorClock(), config(connection_string="tcp:host=127.0.0.3:port=7")
    )
    assert (endpoint._host, endpoint._port) == ("127.0.0.3", 7)  # type: ignore[attr-defined]


def test_a_bad_connection_string_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="bad connection string"):
        make_endpoint(MemoryReactorClock(), config(connection_string="nosuch:thing"))


def test_use_tls_wraps_the_endpoint_or_says_what_is_missing() -> None:
    if importlib.util.find_spec("OpenSSL") is None:
        with pytest.raises(ConfigError, match="pyOpenSSL"):
            make_endpoint(MemoryReactorClock(), config(use_tls=True))
    else:
        endpoint = make_endpoint(MemoryReactorClock(), config(use_tls=True))
        assert not isinstance(endpoint, HostnameEndpoint)


class Service:
    def __init__(self, tmp_path: Path, *, master: bool = True, **changes: object):
        self.clock = MemoryReactorClock()
        self.master = FakeMaster(self.clock)
        self.endpoint = LoopbackEndpoint(self.clock, self.master if master else None)
        self.exits: list[int] = []
        self.worker = Worker(
            tmp_path, config(**changes), self.clock, self.endpoint, on_exit=self.exits.append
        )
        self.worker.start()
        self.endpoint.flush()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.endpoint.flush()


def test_touching_the_stamp_asks_the_master_for_a_graceful_shutdown(tmp_path: Path) -> None:
    stamp = tmp_path / "shutdown.stamp"
    stamp.touch()
    os.utime(stamp, (1, 1))  # a stamp from before the start does not count
    service = Service(tmp_path, allow_shutdown="file")
    service.advance(1)
    assert service.master.shutdown_requests == 0
    os.utime(stamp, (2, 2))
    service.advance(1)
    assert service.master.shutdown_requests == 1
    service.advance(5)
    assert service.master.shutdown_requests == 1
    service.master.bot.callRemote("shutdown")
    service.endpoint.flush()
    service.advance(0.2)
    assert service.exits == [0]


def test_the_stamp_is_not_watched_without_allow_shutdown_file(tmp_path: Path) -> None:
    service = Service(tmp_path)
    (tmp_path / "shutdown.stamp").touch()
    service.advance(5)
    assert service.master.shutdown_requests == 0


def test_a_shutdown_request_without_a_master_stops_at_once(tmp_path: Path) -> None:
    service = Service(tmp_path, master=False)
    service.worker.request_shutdown()
    assert service.exits == [0]


def test_giving_up_ends_the_worker_with_status_1(tmp_path: Path) -> None:
    service = Service(tmp_path, master=False, maxretries=0)
    assert service.exits == [1]


def test_stop_disconnects_and_cancels_the_stamp_watch(tmp_path: Path) -> None:
    service = Service(tmp_path, allow_shutdown="file")
    stopped = defer.Deferred.fromCoroutine(service.worker.stop())
    service.endpoint.flush()
    assert stopped.called
    assert service.master.logouts == 1
    assert service.clock.getDelayedCalls() == []
