"""``StepLog``: whole lines, stream prefixes, batching, limits and redaction."""

from __future__ import annotations

import pytest_twisted
from twisted.internet.task import Clock

from marid.process.steplog import BATCH_BYTES, BATCH_SECONDS, LogLimits, StepLog, redact


class Sink:
    def __init__(self) -> None:
        self.appends: list[str] = []
        self.finished = False

    async def append_log(self, logid: int, content: str) -> tuple[int, int]:
        self.appends.append(content)
        return 0, content.count("\n") - 1

    async def finish_log(self, logid: int) -> None:
        self.finished = True

    @property
    def text(self) -> str:
        return "".join(self.appends)


def make(
    type: str = "s", secrets: set[str] | None = None, **limits: int
) -> tuple[StepLog, Sink, Clock]:
    sink, clock = Sink(), Clock()
    log = StepLog(
        "stdio", type, sink, clock, secrets if secrets is not None else set(), LogLimits(**limits)
    )
    log.opened(1)
    return log, sink, clock


@pytest_twisted.ensureDeferred
async def test_stdio_lines_get_their_stream_prefix_and_partial_lines_wait() -> None:
    log, sink, _clock = make()
    log.add_stdout("one\ntw")
    log.add_stderr("err\n")
    log.add_stdout("o\n")
    log.add_header("head")
    await log.finish()
    assert sink.text == "oone\neerr\notwo\nhhead\n"
    assert sink.finished


@pytest_twisted.ensureDeferred
async def test_text_logs_have_no_prefix() -> None:
    log, sink, _ = make("t")
    log.add_text("a\nb")
    await log.finish()
    assert sink.text == "a\nb\n"


def test_lines_are_written_after_the_batch_time_or_size() -> None:
    log, sink, clock = make()
    log.add_stdout("x\n")
    assert sink.appends == []
    clock.advance(BATCH_SECONDS)
    assert sink.appends == ["ox\n"]
    log.add_stdout("y" * BATCH_BYTES + "\n")
    assert len(sink.appends) == 2  # a full batch goes at once


def test_one_append_at_a_time_and_what_arrives_meanwhile_goes_in_the_next() -> None:
    from twisted.internet import defer

    pending: list[defer.Deferred[tuple[int, int]]] = []
    written: list[str] = []

    class SlowSink(Sink):
        async def append_log(self, logid: int, content: str) -> tuple[int, int]:
            written.append(content)
            d: defer.Deferred[tuple[int, int]] = defer.Deferred()
            pending.append(d)
            return await d

    clock = Clock()
    log = StepLog("stdio", "s", SlowSink(), clock, set())
    log.opened(1)
    big = "z" * BATCH_BYTES + "\n"
    log.add_stdout(big)
    log.add_stdout("a\n")
    log.add_stdout(big)
    assert len(written) == 1
    pending[0].callback((0, 0))
    assert written[1] == "oa\n" + "o" + big


@pytest_twisted.ensureDeferred
async def test_lines_wait_for_the_log_row() -> None:
    sink, clock = Sink(), Clock()
    log = StepLog("lazy", "s", sink, clock, set())
    log.add_stdout("early\n")
    clock.advance(BATCH_SECONDS)
    assert sink.appends == []
    log.opened(5)
    await log.finish()
    assert sink.text == "oearly\n"


@pytest_twisted.ensureDeferred
async def test_secrets_are_replaced_before_anything_is_stored() -> None:
    secrets: set[str] = set()
    log, sink, _ = make(secrets=secrets)
    log.add_stdout("token=abc")
    secrets.add("abc")  # known only after the text arrived: still redacted
    log.add_stdout("def and abc\n")
    await log.finish()
    assert sink.text == "otoken=<secret>def and <secret>\n"
    assert redact("a-long-secret a-long", {"a-long", "a-long-secret"}) == "<secret> <secret>"


@pytest_twisted.ensureDeferred
async def test_log_max_size_keeps_the_head_and_the_tail() -> None:
    log, sink, _ = make(max_size=30, tail_size=12)
    for i in range(20):
        log.add_stdout(f"line{i:02d}\n")
    await log.finish()
    lines = sink.text.splitlines()
    assert lines[:3] == ["oline00", "oline01", "oline02"]  # 24 of the 30 bytes
    assert lines[3] == "houtput truncated: 128 bytes dropped"
    assert lines[4:] == ["oline19"]  # the whole lines that fit in the 12-byte tail


@pytest_twisted.ensureDeferred
async def test_an_endless_line_is_cut() -> None:
    from marid.process.steplog import MAX_PARTIAL

    log, sink, _ = make()
    log.add_stdout("x" * (MAX_PARTIAL + 10))
    await log.finish()
    assert sink.text.count("\n") == 1 and len(sink.text) == MAX_PARTIAL + 12


@pytest_twisted.ensureDeferred
async def test_finish_is_idempotent_and_later_text_is_ignored() -> None:
    log, sink, _ = make()
    log.add_stdout("a\n")
    await log.finish()
    await log.finish()
    log.add_stdout("late\n")
    assert sink.text == "oa\n"


def test_a_long_queue_asks_the_worker_to_wait_and_appends_stay_bounded() -> None:
    from twisted.internet import defer

    from marid.process.steplog import BACKLOG_HIGH, MAX_APPEND

    pending: list[defer.Deferred[tuple[int, int]]] = []
    sizes: list[int] = []

    class SlowSink(Sink):
        async def append_log(self, logid: int, content: str) -> tuple[int, int]:
            sizes.append(len(content))
            d: defer.Deferred[tuple[int, int]] = defer.Deferred()
            pending.append(d)
            return await d

    log = StepLog("stdio", "s", SlowSink(), Clock(), set())
    log.opened(1)
    chunk = "x" * (BATCH_BYTES - 2) + "\n"
    waits = []
    for _ in range(3 * BACKLOG_HIGH // BATCH_BYTES):
        log.add_stdout(chunk)
        waits.append(log.room())
    assert waits[0] is None and waits[-1] is not None  # the store fell behind
    blocked = [w for w in waits if w is not None]
    while pending:
        pending.pop(0).callback((0, 0))
    assert all(w.called for w in blocked)
    assert max(sizes) <= MAX_APPEND
    assert sum(sizes) == 3 * BACKLOG_HIGH // BATCH_BYTES * BATCH_BYTES


def test_the_workers_update_is_answered_only_when_the_log_has_room() -> None:
    from twisted.internet import defer

    from marid.process.remotecommand import RemoteCommand

    gate: defer.Deferred[None] = defer.Deferred()
    command = RemoteCommand("shell", {}, on_output=lambda stream, text: gate)
    answer = command.remote_update([[{"stdout": "x\n"}, 0]])
    assert isinstance(answer, defer.Deferred) and not answer.called
    gate.callback(None)
    assert answer.result == 0
    plain = RemoteCommand("shell", {}, on_output=lambda stream, text: None)
    assert plain.remote_update([[{"stdout": "x\n"}, 0]]) == 0
