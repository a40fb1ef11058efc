"""The worker port's listener: reopened in place, and kept when the new port fails."""

from __future__ import annotations

from typing import Any

import pytest
from twisted.internet.error import CannotListenError
from twisted.internet.testing import MemoryReactorClock

from marid.workers.protocol.listener import PBListener
from tests.unit.workers.conftest import run


class Reactor(MemoryReactorClock):
    """A memory reactor whose ``busy`` ports cannot be listened on; it records closes."""

    def __init__(self) -> None:
        super().__init__()
        self.busy: set[int] = set()
        self.events: list[str] = []

    def listenTCP(self, port: int, factory: Any, backlog: int = 50, interface: str = "") -> Any:
        if port in self.busy:
            raise CannotListenError(interface, port, OSError("in use"))
        listening = super().listenTCP(port, factory, backlog, interface)
        self.busy.add(port)
        self.events.append(f"open {port}")
        stop = listening.stopListening

        def stop_listening() -> Any:
            self.busy.discard(port)
            self.events.append(f"close {port}")
            return stop()

        listening.stopListening = stop_listening
        return listening


@pytest.fixture
def reactor() -> Reactor:
    return Reactor()


def test_listens_on_the_configured_endpoint(reactor: Reactor) -> None:
    listener = PBListener(reactor, object())

    run(listener.listen("tcp:9989:interface=127.0.0.1"))

    (port, _, backlog, interface) = reactor.tcpServers[0]
    assert (port, backlog, interface) == (9989, 1024, "127.0.0.1")
    assert listener.address == ("0.0.0.0", 9989)
    assert listener.description == "tcp:9989:interface=127.0.0.1"


def test_an_explicit_backlog_is_kept(reactor: Reactor) -> None:
    listener = PBListener(reactor, object())

    run(listener.listen("tcp:9989:backlog=7"))

    assert reactor.tcpServers[0][2] == 7


def test_a_new_port_is_opened_before_the_old_one_is_closed(reactor: Reactor) -> None:
    listener = PBListener(reactor, object())
    run(listener.listen("tcp:9989"))

    run(listener.listen("tcp:9990"))

    assert reactor.events == ["open 9989", "open 9990", "close 9989"]
    assert listener.description == "tcp:9990"


def test_a_port_that_cannot_be_opened_fails_and_keeps_the_old_listener(reactor: Reactor) -> None:
    listener = PBListener(reactor, object())
    run(listener.listen("tcp:9989"))
    reactor.busy.add(9990)

    with pytest.raises(CannotListenError):
        run(listener.listen("tcp:9990"))

    assert listener.description == "tcp:9989"
    assert reactor.events == ["open 9989"]


def test_same_port_on_another_interface_closes_first_and_reopens_on_failure(
    reactor: Reactor,
) -> None:
    listener = PBListener(reactor, object())
    run(listener.listen("tcp:9989"))

    run(listener.listen("tcp:9989:interface=127.0.0.1"))

    assert reactor.events == ["open 9989", "close 9989", "open 9989"]
    assert listener.description == "tcp:9989:interface=127.0.0.1"


def test_no_port_means_no_listener(reactor: Reactor) -> None:
    listener = PBListener(reactor, object())
    run(listener.listen("tcp:9989"))

    run(listener.listen(None))

    assert listener.address is None
    assert reactor.events == ["open 9989", "close 9989"]
