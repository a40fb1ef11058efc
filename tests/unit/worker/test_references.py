"""``ReferenceBroker``: a PB connection that may hand out more than stock PB's 1,024 references."""

from __future__ import annotations

from typing import Any

from twisted.spread import pb
from twisted.test import iosim

from marid_worker.wire import ReferenceClientFactory


class Item(pb.Referenceable):
    pass


class Source(pb.Referenceable):
    def __init__(self) -> None:
        self.items = [Item() for _ in range(3000)]

    def remote_items(self, count: int) -> dict[int, Item]:
        return dict(enumerate(self.items[:count]))


def ask(count: int, max_references: int) -> Any:
    """A stock-PB peer asks a ``ReferenceBroker`` peer for ``count`` references at once."""
    server = pb.PBServerFactory(pb.Root()).buildProtocol(None)
    client = ReferenceClientFactory(max_references).buildProtocol(None)
    pump = iosim.connect(
        server, iosim.FakeTransport(server, True), client, iosim.FakeTransport(client, False)
    )
    client.setNameForLocal("source", Source())
    answers: list[Any] = []
    server.remoteForName("source").callRemote("items", count).addBoth(answers.append)
    pump.flush()
    return answers[0]


def test_a_reference_broker_hands_out_more_than_stock_pb_allows() -> None:
    answer = ask(2500, max_references=3000)

    assert isinstance(answer, dict) and len(answer) == 2500


def test_past_its_limit_a_reference_broker_refuses_with_pbs_error_and_its_limit() -> None:
    answer = ask(2500, max_references=2000)

    assert "Maximum PB reference count exceeded (2000 live references)" in str(answer.value)
