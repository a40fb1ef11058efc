"""The connector: login, backoff and reconnection, keepalives, graceful shutdown requests."""

from __future__ import annotations

import gc
from pathlib import Path

import pytest
from twisted.internet import defer
from twisted.internet.testing import MemoryReactorClock

from marid_worker.bot import Bot
from marid_worker.connection import Connector, State
from tests.unit.worker.loopback import FakeMaster, LoopbackEndpoint, result_of


class Rig:
    """A connector wired to a loopback master on a fake clock."""

    def __init__(
        self, tmp_path: Path, *, password: str = "pass", master: bool = True, **kw: object
    ):
        self.clock = MemoryReactorClock()
        self.master = FakeMaster(self.clock)
        self.endpoint = LoopbackEndpoint(self.clock, self.master if master else None)
        self.lost = 0
        self.shutdowns = 0
        self.bot = Bot(tmp_path, self.clock, on_shutdown=self._shutdown)
        self.bot.connection_lost = self._lost  # type: ignore[method-assign]
        options: dict[str, object] = {"jitter": lambda: 0.5}
        options.update(kw)
        self.connector = Connector(
            self.clock,
            self.endpoint,
            "w1",
            password,
            self.bot,
            **options,  # type: ignore[arg-type]
        )
        self.gave_up = 0
        self.connector.on_gave_up = self._gave_up

    def _lost(self) -> None:
        self.lost += 1

    def _shutdown(self) -> None:
        self.shutdowns += 1

    def _gave_up(self) -> None:
        self.gave_up += 1

    def start(self) -> None:
        self.connector.start()
        self.endpoint.flush()

    def advance(self, seconds: float) -> None:
        self.clock.advance(seconds)
        self.endpoint.flush()


def test_worker_with_the_right_password_logs_in_with_its_bot_as_mind(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    assert rig.connector.state is State.CONNECTED
    assert len(rig.master.minds) == 1
    assert rig.endpoint.client_transport.getTcpKeepAlive()
    message = rig.master.bot.callRemote("print", message="attached")
    rig.endpoint.flush()
    assert result_of(message) is None


def test_worker_with_a_wrong_password_is_refused_and_retries_with_backoff(tmp_path: Path) -> None:
    rig = Rig(tmp_path, password="wrong")
    rig.start()
    assert rig.connector.state is State.WAITING
    assert rig.master.minds == []
    assert rig.connector.failures == 1
    assert rig.endpoint.pumps[-1].clientIO.disconnecting  # the refused connection is closed
    rig.advance(0.99)
    assert rig.endpoint.attempts == 1
    rig.advance(0.01)
    assert rig.endpoint.attempts == 2
    assert rig.connector.failures == 2


def test_backoff_doubles_up_to_maxdelay_and_jitters_ten_percent(tmp_path: Path) -> None:
    rig = Rig(tmp_path, master=False, maxdelay=10)
    rig.start()
    waits = []
    for _ in range(6):
        waits.append(rig.clock.getDelayedCalls()[0].getTime() - rig.clock.seconds())
        rig.advance(waits[-1])
    assert waits == [1, 2, 4, 8, 10, 10]
    assert rig.endpoint.attempts == 7

    rig.connector._jitter = lambda: 0.0
    assert rig.connector.next_delay() == pytest.approx(9.0)
    rig.connector._jitter = lambda: 1.0
    assert rig.connector.next_delay() == pytest.approx(10.0)  # never above maxdelay


def test_worker_reconnects_after_the_master_goes_away(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    rig.endpoint.drop()
    assert rig.connector.state is State.WAITING
    assert rig.lost == 1
    assert rig.connector.session is None
    rig.advance(1.0)
    assert rig.connector.state is State.CONNECTED
    assert len(rig.master.minds) == 2
    assert rig.connector.failures == 0


def test_reconnection_survives_a_master_that_is_down_for_a_while(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    master = rig.endpoint.master
    rig.endpoint.master = None  # restarting
    rig.endpoint.drop()
    rig.advance(1.0)
    rig.advance(1.0)
    assert rig.connector.failures == 2
    rig.endpoint.master = master
    rig.advance(2.0)
    assert rig.connector.state is State.CONNECTED


def test_maxretries_stops_after_that_many_failed_retries(tmp_path: Path) -> None:
    rig = Rig(tmp_path, master=False, maxretries=2)
    rig.start()
    rig.advance(1)
    assert rig.gave_up == 0
    rig.advance(2)
    assert rig.connector.state is State.GAVE_UP
    assert rig.gave_up == 1
    assert rig.endpoint.attempts == 3
    assert rig.clock.getDelayedCalls() == []


def test_keepalive_is_sent_every_interval_while_connected(tmp_path: Path) -> None:
    rig = Rig(tmp_path, keepalive=10)
    rig.start()
    rig.advance(9.9)
    assert rig.master.keepalives == []
    rig.advance(0.1)
    assert rig.master.keepalives == [pytest.approx(10.0)]
    rig.advance(10)
    rig.advance(10)
    assert rig.master.keepalives == [pytest.approx(t) for t in (10.0, 20.0, 30.0)]


def test_keepalive_zero_sends_none(tmp_path: Path) -> None:
    rig = Rig(tmp_path, keepalive=0)
    rig.start()
    rig.advance(3600)
    assert rig.master.keepalives == []
    assert rig.connector.state is State.CONNECTED


def test_an_unanswered_keepalive_drops_the_connection_and_reconnects(tmp_path: Path) -> None:
    rig = Rig(tmp_path, keepalive=10)
    rig.master.keepalive_answer = defer.Deferred  # never answers
    rig.start()
    rig.advance(10)
    assert rig.connector.state is State.CONNECTED
    rig.advance(10)
    assert rig.connector.state is State.WAITING
    rig.master.keepalive_answer = lambda: None
    rig.advance(1)
    assert rig.connector.state is State.CONNECTED
    assert len(rig.master.minds) == 2


def test_the_perspective_stays_referenced_so_the_master_keeps_the_worker(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    gc.collect()
    rig.advance(1)
    assert rig.master.logouts == 0
    assert rig.connector.state is State.CONNECTED


def test_stop_disconnects_and_does_not_reconnect(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    stopped = defer.Deferred.fromCoroutine(rig.connector.stop())
    rig.endpoint.flush()
    assert result_of(stopped) is None
    assert rig.connector.state is State.STOPPED
    assert rig.master.logouts == 1
    rig.advance(600)
    assert len(rig.master.minds) == 1


def test_stop_while_waiting_cancels_the_next_attempt(tmp_path: Path) -> None:
    rig = Rig(tmp_path, master=False)
    rig.start()
    stopped = defer.Deferred.fromCoroutine(rig.connector.stop())
    assert result_of(stopped) is None
    rig.advance(600)
    assert rig.endpoint.attempts == 1
    assert rig.clock.getDelayedCalls() == []


def test_graceful_shutdown_request_reaches_the_master(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    asked = defer.Deferred.fromCoroutine(rig.connector.request_shutdown())
    rig.endpoint.flush()
    assert result_of(asked) is True
    assert rig.master.shutdown_requests == 1


def test_graceful_shutdown_request_without_a_master_says_so(tmp_path: Path) -> None:
    rig = Rig(tmp_path, master=False)
    rig.start()
    asked = defer.Deferred.fromCoroutine(rig.connector.request_shutdown())
    assert result_of(asked) is False


def test_master_shutdown_call_stops_the_worker_after_a_fifth_of_a_second(tmp_path: Path) -> None:
    rig = Rig(tmp_path)
    rig.start()
    rig.master.bot.callRemote("shutdown")
    rig.endpoint.flush()
    rig.advance(0.19)
    assert rig.shutdowns == 0
    rig.advance(0.01)
    assert rig.shutdowns == 1
