"""Fuzzing every REST path and every JSON-RPC action of a real master over HTTP.

Hypothesis draws requests from the master's own router: each path pattern
with its ``n:`` segments filled with numbers (small, at the 64-bit edge,
far beyond it, negative) or text, its ``i:`` and ``s:`` segments with names
that exist and text that does not, query parameters that the API knows and
others, and for every action of every endpoint, params of any JSON shape.
Bodies that are not JSON-RPC at all and methods other than GET and POST are
drawn too. Every answer must come within ``ANSWER_WITHIN`` seconds, with a
status below 500 and a JSON body (a raw log download is text when it is
found). Hypothesis only draws the requests (a fixed, derandomized set),
which the test then sends one by one on the reactor, since Hypothesis
cannot drive a coroutine; each problem is listed with the request.

The master is the one of ``authmaster`` (two builders, a force scheduler
for each, an unconnected worker), on 127.0.0.1; a force that passes
validation adds a buildset, which later examples then find.
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import quote, urlencode

import pytest_twisted
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from twisted.internet import reactor
from twisted.internet.defer import Deferred

from marid.data.router import Segment
from tests.fixtures.http import Response
from tests.integration.www.authmaster import Browser, Running, Start, start

__all__ = ["start"]  # fixtures

ANSWER_WITHIN = 10.0
EXAMPLES = 400

NUMBERS = st.one_of(
    st.integers(0, 5),
    st.sampled_from([2**31 - 1, 2**31, 2**63 - 1, 2**63, 10**30, 10**400]),
    st.integers(),
)
NAMES = st.sampled_from(["try-a", "release", "try", "w1", "stdio", "shell", "none"])
TEXT = st.text(max_size=30)
SCALARS = st.one_of(st.none(), st.booleans(), NUMBERS, st.floats(allow_nan=False), TEXT, NAMES)
JSON_VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(TEXT, inner, max_size=3),
    max_leaves=8,
)
QUERY_KEYS = st.sampled_from(
    [
        "limit", "offset", "field", "order", "property", "q", "from", "regex", "case",
        "streams", "recent", "last", "buildid", "buildid__gt", "number__in", "complete",
        "name__contains", "results__ne", "state_string", "nosuch", "x__bad",
    ]
)  # fmt: skip
QUERY_VALUES = st.one_of(NUMBERS.map(str), TEXT, NAMES, st.sampled_from(["-number", "*", "null"]))
CONTROL_PARAMS = [
    "reason", "results", "enabled", "builderid", "builderNames", "owner", "username",
    "priority", "branch", "revision", "repository", "project", "properties", "comments",
]  # fmt: skip
PARAM_KEYS = st.one_of(st.sampled_from(CONTROL_PARAMS), TEXT)

# Params an action accepts, which a drawn key and value then spoil (or not).
PLAUSIBLE: dict[str, dict[str, Any]] = {
    "force": {"builderid": "1", "reason": "fuzz", "username": "", "priority": 0},
    "stop": {"reason": "fuzz"},
    "rebuild": {"reason": "fuzz"},
    "cancel": {"reason": "fuzz"},
    "enable": {"enabled": True},
    "pause": {"reason": "fuzz"},
}


async def populate(running: Running) -> None:
    """A forced buildset, then a finished and an unfinished build of it with a log each."""
    browser = running.browser()
    response = await browser.rpc("forceschedulers/try", "force", {"reason": "seed"})
    _bsid, brids = response.json()["result"]
    ((builderid, brid),) = brids.items()
    data, masterid = running.master.data, running.master.masterid
    assert masterid is not None
    for finished in (True, False):
        buildid, _ = await data.builds.add_build(int(builderid), brid, None, masterid)
        stepid, _, _ = await data.steps.add_step(buildid, "shell")
        logid = await data.logs.add_log(stepid, "stdio", "s")
        await data.logs.append_log(logid, "hstarting\nohello\n")
        if finished:
            await data.builds.finish_build(buildid, 0)


def routes(running: Running) -> list[tuple[tuple[Segment, ...], Any]]:
    return list(running.master.data.router._routes)


def segment_text(segment: Segment) -> st.SearchStrategy[str]:
    if segment.kind == "lit":
        return st.just(segment.value)
    existing = st.sampled_from(["1", "2"]) if segment.kind == "n" else NAMES
    # mostly things that exist, so that the requests get past the path to the parameters
    return st.one_of(existing, existing, existing, NUMBERS.map(str), NAMES, TEXT.filter(bool))


@st.composite
def paths(draw: st.DrawFn, running: Running, with_actions: bool = False) -> tuple[str, Any]:
    candidates = [r for r in routes(running) if r[1].actions or not with_actions]
    segments, endpoint = draw(st.sampled_from(candidates))
    parts = [quote(draw(segment_text(s)), safe="") for s in segments]
    return "/".join(parts), endpoint


def drawn(strategy: st.SearchStrategy[Any], count: int) -> list[Any]:
    """``count`` examples of ``strategy``, the same ones on every run."""
    examples: list[Any] = []

    @settings(
        max_examples=count,
        deadline=None,
        derandomize=True,
        database=None,
        phases=[Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    @given(strategy)
    def collect(example: Any) -> None:
        examples.append(example)

    collect()
    return examples


@st.composite
def reads(draw: st.DrawFn, running: Running) -> tuple[bytes, str, bytes | None]:
    path, _ = draw(paths(running))
    query = draw(st.lists(st.tuples(QUERY_KEYS, QUERY_VALUES), max_size=3))
    url = f"/api/v2/{path}" + (f"?{urlencode(query)}" if query else "")
    method = draw(st.sampled_from([b"GET"] * 8 + [b"HEAD", b"PUT", b"DELETE", b"OPTIONS"]))
    return method, url, None


@st.composite
def actions(draw: st.DrawFn, running: Running) -> tuple[bytes, str, bytes | None]:
    path, endpoint = draw(paths(running, with_actions=True))
    action = draw(st.one_of(st.sampled_from(sorted(endpoint.actions)), TEXT))
    plausible = dict(PLAUSIBLE.get(action, {}))
    plausible.update(draw(st.dictionaries(PARAM_KEYS, JSON_VALUES, max_size=1)))
    params = draw(
        st.one_of(
            st.just(plausible),
            st.just(plausible),
            st.dictionaries(PARAM_KEYS, JSON_VALUES, max_size=5),
            JSON_VALUES,
        )
    )
    envelope = {"jsonrpc": "2.0", "id": draw(JSON_VALUES), "method": action, "params": params}
    body = json.dumps(envelope).encode()
    body = draw(st.sampled_from([body] * 6 + [body[: len(body) // 2], b"", b"[]"]))
    return b"POST", f"/api/v2/{path}", body


async def problem(browser: Browser, method: bytes, url: str, body: bytes | None) -> str | None:
    """What is wrong with the answer to one request, or None."""
    what = f"{method.decode()} {url[:200]} {(body or b'')[:200]!r}"
    request: Deferred[Response] = Deferred.fromCoroutine(
        browser.request(method, url, body, {"content-type": "application/json"})
    )
    try:
        response = await request.addTimeout(ANSWER_WITHIN, reactor)
    except Exception as error:  # a hang (timeout) or a dropped connection
        return f"{what}: no answer ({error!r})"
    if response.status >= 500:
        return f"{what}: {response.status} {response.body[:300]!r}"
    if method == b"HEAD" or (response.status == 200 and "/raw" in url):
        return None  # no body, or a log download (text)
    if not (response.header("content-type") or "").startswith("application/json"):
        return f"{what}: {response.status} is not JSON: {response.body[:200]!r}"
    try:
        json.loads(response.body)
    except ValueError:
        return f"{what}: {response.status} has a body that is not JSON"
    return None


async def fuzz(running: Running, strategy: st.SearchStrategy[Any]) -> list[str]:
    browser = running.browser()
    problems = []
    for method, url, body in drawn(strategy, EXAMPLES):
        found = await problem(browser, method, url, body)
        if found is not None:
            problems.append(found)
    return problems


@pytest_twisted.ensureDeferred
async def test_every_path_answers_reads_with_json_and_never_a_500(start: Start) -> None:
    running = await start("")
    await populate(running)
    assert await fuzz(running, reads(running)) == []


@pytest_twisted.ensureDeferred
async def test_every_action_answers_with_json_and_never_a_500(start: Start) -> None:
    running = await start("")
    await populate(running)
    assert await fuzz(running, actions(running)) == []
