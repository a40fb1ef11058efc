"""The update stream: one key per update call, whole lines, 64 KiB / 5 s batches, ordering."""

from __future__ import annotations

from typing import Any

from twisted.internet import defer
from twisted.internet.task import Clock
from twisted.spread import pb

from marid_worker.commands.stream import UpdateStream, split_lines
from tests.unit.worker.loopback import CommandRef, result_of


class RecordingRef:
    """A cmdref that records the raw update calls and answers when told to."""

    def __init__(self, answer: bool = True):
        self.calls: list[list[Any]] = []
        self.pending: list[defer.Deferred[Any]] = []
        self.answer = answer

    def callRemote(self, name: str, *args: Any) -> defer.Deferred[Any]:
        assert name == "update"
        self.calls.append(args[0])
        if self.answer:
            return defer.succeed(0)
        d: defer.Deferred[Any] = defer.Deferred()
        self.pending.append(d)
        return d

    def notifyOnDisconnect(self, callback: Any) -> None:
        pass


def stream(ref: Any, clock: Clock | None = None, **kw: Any) -> UpdateStream:
    return UpdateStream(ref, clock or Clock(), **kw)


def test_each_update_call_carries_one_key_and_a_zero() -> None:
    ref = RecordingRef()
    updates = stream(ref)
    updates.send("rc", 0)
    updates.header("hello\n")
    assert ref.calls == [[[{"rc": 0}, 0]], [[{"header": "hello\n"}, 0]]]


def test_output_waits_for_whole_lines() -> None:
    ref = CommandRef()
    updates = stream(ref)
    updates.output("stdout", b"abc")
    updates.output("stdout", b"def\ngh")
    updates.flush()
    assert ref.updates == [("stdout", "abcdef\n")]
    result_of(defer.Deferred.fromCoroutine(updates.finish()))
    assert ref.updates == [("stdout", "abcdef\n"), ("stdout", "gh\n")]


def test_output_is_batched_until_five_seconds_after_the_first_line() -> None:
    clock = Clock()
    ref = CommandRef()
    updates = stream(ref, clock)
    updates.output("stdout", b"one\n")
    clock.advance(4)
    updates.output("stdout", b"two\n")
    assert ref.updates == []
    clock.advance(1)
    assert ref.updates == [("stdout", "one\ntwo\n")]


def test_output_goes_out_at_once_when_a_batch_reaches_64_kib() -> None:
    ref = CommandRef()
    updates = stream(ref)
    line = b"x" * 1023 + b"\n"
    for _ in range(63):
        updates.output("stdout", line)
    assert ref.updates == []
    updates.output("stdout", line)
    assert [len(text) for _, text in ref.updates] == [64 * 1024]


def test_streams_keep_their_order_and_other_updates_flush_output_first() -> None:
    ref = CommandRef()
    updates = stream(ref)
    updates.output("stdout", b"out1\n")
    updates.output("stderr", b"err\n")
    updates.output("stdout", b"out2\n")
    updates.output("log", b"from a file\n", "build.log")
    updates.send("rc", 1)
    assert ref.updates == [
        ("stdout", "out1\n"),
        ("stderr", "err\n"),
        ("stdout", "out2\n"),
        ("log", ("build.log", "from a file\n")),
        ("rc", 1),
    ]


def test_a_line_longer_than_a_batch_is_sent_in_pieces() -> None:
    ref = CommandRef()
    updates = stream(ref, batch_bytes=10)
    updates.output("stdout", b"0123456789abcdef")
    assert ref.text("stdout") == "0123456789abcdef"
    assert all(len(text) <= 10 for text in ref.values("stdout"))


def test_utf8_split_across_reads_is_decoded_whole_and_bad_bytes_replaced() -> None:
    ref = CommandRef()
    updates = stream(ref)
    snowman = "\u2603\n".encode()
    updates.output("stdout", snowman[:1])
    updates.output("stdout", snowman[1:] + b"\xff\n")
    updates.flush()
    assert ref.text("stdout") == "\u2603\n\ufffd\n"


def test_a_lost_connection_is_reported_once_and_later_updates_are_dropped() -> None:
    ref = RecordingRef(answer=False)
    updates = stream(ref)
    lost: list[int] = []
    updates.on_lost = lambda: lost.append(1)
    updates.send("header", "a\n")
    updates.send("header", "b\n")
    for pending in ref.pending:
        pending.errback(pb.PBConnectionLost("gone"))
    updates.send("rc", 0)
    assert lost == [1]
    assert updates.lost
    assert len(ref.calls) == 2


def test_a_dead_broker_raising_at_once_counts_as_lost() -> None:
    class DeadRef(RecordingRef):
        def callRemote(self, name: str, *args: Any) -> defer.Deferred[Any]:
            raise pb.DeadReferenceError("Calling Stale Broker")

    updates = stream(DeadRef())
    updates.send("rc", 0)
    assert updates.lost


def test_backlog_pauses_above_4_mib_unacknowledged_and_resumes_below_1_mib() -> None:
    ref = RecordingRef(answer=False)
    updates = stream(ref)
    states: list[bool] = []
    updates.on_backlog = states.append
    line = b"y" * (64 * 1024 - 1) + b"\n"
    for _ in range(65):
        updates.output("stdout", line)
    assert states == [True]
    for pending in ref.pending[:45]:  # 20 x 64 KiB still unacknowledged
        pending.callback(0)
    assert states == [True]
    for pending in ref.pending[45:]:
        pending.callback(0)
    assert states == [True, False]


def test_finish_waits_for_every_update_to_be_acknowledged() -> None:
    ref = RecordingRef(answer=False)
    updates = stream(ref)
    updates.send("rc", 0)
    finished = defer.Deferred.fromCoroutine(updates.finish())
    assert not finished.called
    ref.pending[0].callback(0)
    assert finished.called


def test_split_lines_cuts_at_line_ends_when_it_can() -> None:
    assert split_lines("aa\nbb\ncc\n", 6) == ["aa\nbb\n", "cc\n"]
    assert split_lines("abcdefgh", 3) == ["abc", "def", "gh"]
    assert split_lines("", 3) == []
