"""The in-process MQ delivers events to matching consumers only, in order."""

from typing import Any

from marid.mq import SimpleMQ, key_matches, parse_filter


def collect(mq: SimpleMQ, flt: str) -> tuple[list[tuple[str, ...]], Any]:
    seen: list[tuple[str, ...]] = []
    consumer = mq.start_consuming(lambda key, _msg: seen.append(key), flt)
    return seen, consumer


def test_wildcard_segments_match_any_value() -> None:
    assert key_matches(("builds", "12", "finished"), parse_filter("builds/*/finished"))
    assert not key_matches(("builds", "12", "new"), parse_filter("builds/*/finished"))
    assert not key_matches(("builds", "12"), parse_filter("builds/*/finished"))
    assert key_matches(("builds", "12"), (None, None))


def test_consumers_receive_only_matching_events_in_order() -> None:
    mq = SimpleMQ()
    finished, _ = collect(mq, "builds/*/finished")
    everything, _ = collect(mq, "*/*/*")
    mq.produce(("builds", "1", "new"), {})
    mq.produce(("builds", "1", "finished"), {})
    mq.produce(("workers", "3", "connected"), {})
    assert finished == [("builds", "1", "finished")]
    assert everything == [
        ("builds", "1", "new"),
        ("builds", "1", "finished"),
        ("workers", "3", "connected"),
    ]


def test_stopped_consumer_gets_nothing_more() -> None:
    mq = SimpleMQ()
    seen, consumer = collect(mq, "builds/*/*")
    mq.produce(("builds", "1", "new"), {})
    consumer.stop_consuming()
    consumer.stop_consuming()
    mq.produce(("builds", "2", "new"), {})
    assert seen == [("builds", "1", "new")]
    assert mq.consumer_count() == 0


def test_failing_consumer_does_not_stop_delivery_to_others() -> None:
    mq = SimpleMQ()

    def broken(_key: tuple[str, ...], _msg: dict[str, Any]) -> None:
        raise RuntimeError("boom")

    mq.start_consuming(broken, "builds/*/*")
    seen, _ = collect(mq, "builds/*/*")
    mq.produce(("builds", "1", "new"), {"buildid": 1})
    assert seen == [("builds", "1", "new")]


def test_message_is_passed_to_consumer() -> None:
    mq = SimpleMQ()
    messages: list[dict[str, Any]] = []
    mq.start_consuming(lambda _k, msg: messages.append(msg), "workers/*/connected")
    mq.produce(("workers", "3", "connected"), {"workerid": 3})
    assert messages == [{"workerid": 3}]
