"""Workers with more builders than PB's reference limit: the builder window.

The worker side here is ``FakeBot`` on a stock ``pb.PBClientFactory``: its
broker has PB's own limit of 1,024 live references, and like buildbot-worker
it drops the builders a ``setBuilderList`` leaves out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from twisted.internet import defer

from marid.workers.config import Worker
from marid.workers.manager import WorkerManager
from marid.workers.window import RESERVED_REFERENCES
from marid_worker.wire import ReferenceClientFactory
from tests.unit.workers.conftest import Builder, run
from tests.unit.workers.fakes import FakeBot, WorkerClient

Connect = Callable[..., tuple[WorkerClient, FakeBot]]


def configure(manager: WorkerManager, count: int, **options: Any) -> list[str]:
    names = [f"b{i:04d}" for i in range(count)]
    builders = [Builder(name, ["w1"]) for name in names]
    run(manager.reconfig_workers([Worker("w1", "pass", **options)], builders))
    return names


def live_references(client: WorkerClient) -> int:
    """What the worker's broker counts against PB's limit."""
    return len(client.client.localObjects)


def settle(client: WorkerClient, d: defer.Deferred[Any]) -> Any:
    results: list[Any] = []
    d.addBoth(results.append)
    client.pump.flush()
    assert results, "no answer"
    return results[0]


def test_a_stock_pb_worker_with_5000_builders_attaches_within_its_reference_limit(
    manager: WorkerManager, connect: Connect
) -> None:
    names = configure(manager, 5000)
    client, bot = connect()

    conn = manager.get_connection("w1")
    assert conn is not None and client.connected
    assert sorted(conn.builders) == names
    assert len(conn.window.refs) == 1000
    assert len(bot.builders) == 1000
    assert live_references(client) <= 1001  # the bot and 1,000 builders


def test_a_builder_outside_the_window_is_brought_in_when_a_command_needs_it(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, 5000)
    client, bot = connect()
    conn = manager.get_connection("w1")
    assert conn is not None and "b4999" not in conn.window.refs

    assert settle(client, conn.start_command("b4999", None, "1", "shell", {})) is None

    assert bot.builders["b4999"].commands == [("1", "shell", {})]
    assert "b4999" in conn.window.refs and len(conn.window.refs) == 1000
    assert live_references(client) <= 1001
    assert conn.window.switches == 1


def test_builders_taking_turns_never_take_the_worker_past_its_limit(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, 100, max_builder_references=10)
    client, bot = connect()
    conn = manager.get_connection("w1")
    assert conn is not None

    for i in range(0, 100, 3):
        assert settle(client, conn.start_command(f"b{i:04d}", None, str(i), "shell", {})) is None
        assert live_references(client) <= 11
        assert len(bot.builders) == 10

    assert client.connected and conn.window.switches == 30


def test_a_builder_held_by_a_build_is_never_left_out_of_the_window(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, 30, max_builder_references=10)
    client, bot = connect()
    conn = manager.get_connection("w1")
    assert conn is not None
    release = conn.hold_builder("b0000")
    held_wfb = bot.builders["b0000"]

    for i in range(10, 30):
        settle(client, conn.start_build(f"b{i:04d}"))

    assert bot.builders["b0000"] is held_wfb  # the worker never dropped it
    release()
    for i in range(10, 20):
        settle(client, conn.start_build(f"b{i:04d}"))
    assert "b0000" not in bot.builders


def test_a_window_full_of_running_builds_refuses_with_a_clear_error(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, 5, max_builder_references=2)
    client, _ = connect()
    conn = manager.get_connection("w1")
    assert conn is not None
    conn.hold_builder("b0000")
    conn.hold_builder("b0001")

    failure = settle(client, conn.start_build("b0004"))

    assert "all 2 builder references are held by running builds" in str(failure.value)
    assert "max_builder_references" in str(failure.value)


def test_a_worker_reconnecting_with_5000_builders_attaches_again(
    manager: WorkerManager, connect: Connect
) -> None:
    configure(manager, 5000)
    client, _ = connect()
    client.disconnect()
    assert manager.connected_names() == []

    again, bot = connect(port=40002)

    conn = manager.get_connection("w1")
    assert conn is not None and again.connected and len(conn.builders) == 5000
    assert len(bot.builders) == 1000


def test_a_worker_that_says_its_limit_gets_every_builder_in_one_list(
    manager: WorkerManager, clock: Any
) -> None:
    names = configure(manager, 5000)
    client = WorkerClient(manager.factory, clock, factory=ReferenceClientFactory(20_000))
    bot = FakeBot({"version": "marid", "environ": {}, "pb_max_references": 20_000})
    client.login("w1", "pass", bot)

    conn = manager.get_connection("w1")
    assert conn is not None
    assert conn.window.size == 20_000 - RESERVED_REFERENCES
    assert len(bot.builder_lists) == 1 and [n for n, _ in bot.builder_lists[0]] == names
    assert len(conn.window.refs) == 5000


def test_a_worker_that_deletes_leftover_dirs_keeps_its_first_builders_and_says_why(
    manager: WorkerManager, connect: Connect, log: list[str]
) -> None:
    configure(manager, 1200)
    bot = FakeBot({"version": "4.3.0", "environ": {}, "delete_leftover_dirs": True})
    client, _ = connect(bot=bot)

    conn = manager.get_connection("w1")
    assert conn is not None and client.connected
    assert len(conn.builders) == 1000 and "b1199" not in conn.builders
    assert [n for n, _ in bot.builder_lists[-1]] == [f"b{i:04d}" for i in range(1000)]
    assert any("200 builders are not attached" in line for line in log)
