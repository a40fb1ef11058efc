"""``BuilderWindow``: the WorkerForBuilder references one worker connection holds.

PB counts the live references a connection hands out on the side that sends
them, and refuses past its limit with ``Maximum PB reference count exceeded``.
For ``setBuilderList`` that is the worker: its answer holds one
WorkerForBuilder reference per builder. A stock-PB worker (``buildbot-worker``)
allows 1,024 in all, its bot included; a failed answer also leaves the
references it did register behind on that connection for good, so the master
must never ask for more than the worker can give.

So the window holds at most ``size`` references:

- ``marid-worker`` says how many it may hand out (``pb_max_references`` in its
  worker info); the window is that less ``RESERVED_REFERENCES``, and normally
  holds every builder.
- Any other worker gets the ``max_builder_references`` of its ``Worker``
  config (default 1,000). When it serves more builders than that, the window
  sends ``setBuilderList`` with a subset: the builders that run a build
  (pinned with ``hold``), the one asked for, then the most recently used. A
  builder outside the window is brought in when a build needs it. The worker
  drops the builders left out (idle ones only: a held builder is never left
  out) and warns about their directories; one that deletes leftover
  directories (``delete_leftover_dirs``) would delete theirs, so such a worker
  keeps its first ``size`` builders and the rest are not attached.

References that leave the window are released *before* the next
``setBuilderList``, so the worker never holds more than ``size`` of them. All
calls to the worker go through one lock, in order. Errors: ``UnknownBuilder``
for a name the worker does not serve, ``BuilderWindowFull`` when every
reference is held by a running build.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from typing import Any

from twisted.internet import defer
from twisted.logger import Logger

from marid.workers.errors import BuilderWindowFull, UnknownBuilder
from marid.workers.protocol.pb import RemoteRef
from marid_worker.info import MAX_REFERENCES_KEY

log = Logger()

RESERVED_REFERENCES = 24
"""References a worker needs besides its WorkerForBuilders: its bot, and a margin."""


def _text(value: Any) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def window_size(info: dict[str, Any], configured: int) -> tuple[int, bool]:
    """``(size, may_switch)`` for a worker that sent ``info``; see the module docstring."""
    advertised = info.get(MAX_REFERENCES_KEY)
    if isinstance(advertised, int) and not isinstance(advertised, bool):
        size = max(advertised - RESERVED_REFERENCES, 1)
    else:
        size = configured
    return size, not info.get("delete_leftover_dirs")


class BuilderWindow:
    """The builders a worker serves, and the references held to at most ``size`` of them."""

    def __init__(self, worker: str, bot: RemoteRef, size: int, may_switch: bool) -> None:
        self.worker = worker
        self.size = size
        self.may_switch = may_switch
        self._bot = bot
        self.attached: dict[str, str] = {}
        """Every builder the worker serves for the master: name -> builddir."""
        self.refs: dict[str, RemoteRef] = {}
        """The references held, least recently used first."""
        self.switches = 0
        self._held: Counter[str] = Counter()
        self._lock = defer.DeferredLock()

    async def set_builders(self, builders: Iterable[tuple[str, str]]) -> list[str]:
        """Serve ``builders`` (name, builddir); return the names that were not served before."""
        wanted = {name: builddir for name, builddir in builders}
        await self._lock.acquire()
        try:
            previous = set(self.attached)
            if len(wanted) > self.size and not self.may_switch:
                kept = dict(list(wanted.items())[: self.size])
                log.error(
                    "worker {worker} serves {count} builders but may hold only {size} "
                    "references, and it deletes leftover directories "
                    "(delete_leftover_dirs), so builders cannot take turns; "
                    "{left} builders are not attached (first: {first})",
                    worker=self.worker,
                    count=len(wanted),
                    size=self.size,
                    left=len(wanted) - self.size,
                    first=next(iter(wanted.keys() - kept.keys())),
                )
                wanted = kept
            before, self.attached = self.attached, wanted
            try:
                await self._send(self._choose(()))
            except BaseException:
                self.attached = before  # the worker still serves the builders it had
                raise
            return [name for name in self.attached if name not in previous]
        finally:
            self._lock.release()

    async def ref(self, name: str) -> RemoteRef:
        """The reference of builder ``name``, bringing it into the window if need be."""
        if name not in self.attached:
            raise UnknownBuilder(f"worker {self.worker!r} has no builder {name!r} attached")
        ref = self.refs.get(name)
        if ref is not None:
            self.refs[name] = self.refs.pop(name)  # most recently used now
            return ref
        await self._lock.acquire()
        try:
            if name not in self.refs:
                if name not in self.attached:
                    raise UnknownBuilder(f"worker {self.worker!r} has no builder {name!r} attached")
                self.switches += 1
                await self._send(self._choose((name,)))
            return self.refs[name]
        finally:
            self._lock.release()

    def hold(self, name: str) -> Callable[[], None]:
        """Keep ``name`` in the window until the returned function is called (once)."""
        self._held[name] += 1
        released = False

        def release() -> None:
            nonlocal released
            if not released:
                released = True
                self._held[name] -= 1
                if self._held[name] <= 0:
                    del self._held[name]

        return release

    def _choose(self, needed: Iterable[str]) -> list[str]:
        held = [name for name in self._held if name in self.attached]
        first = list(dict.fromkeys([*held, *needed]))
        if len(first) > self.size:
            raise BuilderWindowFull(
                f"worker {self.worker!r}: all {self.size} builder references are held by "
                "running builds (raise max_builder_references, or limit max_builds)"
            )
        recent = [name for name in reversed(self.refs) if name in self.attached]
        order = dict.fromkeys([*first, *recent, *self.attached])
        return list(order)[: self.size]

    async def _send(self, names: list[str]) -> None:
        keep = set(names)
        # Release what leaves the window first: the worker counts every live reference,
        # and the release (a PB decref) reaches it before the call that follows.
        for name in [n for n in self.refs if n not in keep]:
            del self.refs[name]
        answer = await self._bot.call(
            "setBuilderList", [(name, self.attached[name]) for name in names]
        )
        got = {_text(k): v for k, v in answer.items()} if isinstance(answer, dict) else {}
        order = [n for n in self.refs if n in got] + [n for n in names if n not in self.refs]
        self.refs = {name: self._bot.wrap(got[name]) for name in order if name in got}
