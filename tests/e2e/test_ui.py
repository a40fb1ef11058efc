"""The web UI end to end: Chromium, a real master and a real marid-worker.

Each test drives the UI as an operator would and checks the outcome both on
screen and through the REST API. Screenshots of the main views are saved
under ``build/e2e/``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Deployment, deployment_of, eventually, open_tab

CONFIG = r"""
c['title'] = "Marid e2e"
c['workers'] = [worker.Worker('e2e-worker', 'e2e-pass', max_builds=2)]
quick = util.BuildFactory([
    steps.ShellCommand(
        name='greet',
        command=['sh', '-c', util.Interpolate(
            'printf "\\033[32mgreen %(prop:greeting)s\\033[0m\\n"; '
            'i=0; while [ $i -lt 300 ]; do i=$((i+1)); echo "line $i"; done; '
            'echo "error: a sample failure line" >&2'
        )],
    ),
])
slow = util.BuildFactory([
    steps.ShellCommand(
        name='forever',
        command=['sh', '-c', 'i=0; while true; do i=$((i+1)); echo "tick $i"; sleep 0.2; done'],
    ),
])
c['builders'] = [
    util.BuilderConfig(name='quick', workernames=['e2e-worker'], factory=quick, tags=['fast']),
    util.BuilderConfig(name='slow', workernames=['e2e-worker'], factory=slow, tags=['slow']),
]
c['schedulers'] = [
    schedulers.ForceScheduler(
        name='force',
        builderNames=['quick', 'slow'],
        properties=[
            util.StringParameter(
                name='greeting', label='Greeting', default='hello', required=True,
                regex=r'^[a-z]+$',
            ),
        ],
    ),
]
"""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from deployment_of(tmp_path_factory, CONFIG, {"e2e-worker": "e2e-pass"})


@pytest.fixture
def page(browser: Any, deployment: Deployment) -> Iterator[Any]:
    yield from open_tab(browser)


def builderid(deployment: Deployment, name: str) -> int:
    found: int = deployment.api(f"builders/{name}")["builders"][0]["builderid"]
    return found


def shot(page: Any, artifacts: Path, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}.png"), full_page=False)


def test_force_a_build_from_the_dialog_and_watch_it_finish(
    page: Any, deployment: Deployment, artifacts: Path
) -> None:
    quick = builderid(deployment, "quick")
    page.goto(f"{deployment.url}#/builders/{quick}")
    page.get_by_test_id("force-button").click()
    dialog = page.get_by_test_id("force-dialog")
    greeting = dialog.get_by_test_id("force-field-greeting")
    greeting.fill("NOT VALID")
    dialog.get_by_test_id("force-submit").click()
    assert dialog.get_by_test_id("force-error-greeting").is_visible()
    before = deployment.api("builds")["meta"]["total"]
    assert before == 0, "an invalid form must not reach the master"
    greeting.fill("bonjour")
    shot(page, artifacts, "force-dialog")
    dialog.get_by_test_id("force-submit").click()
    build = eventually(
        lambda: deployment.api(f"builders/{quick}/builds")["builds"], what="the forced build"
    )[0]
    page.goto(f"{deployment.url}#/builds/{build['buildid']}")
    step = page.get_by_test_id("step-row").first
    step.wait_for()
    page.wait_for_selector("[data-testid=step-row][data-result='0']", timeout=30_000)
    assert deployment.build(build["buildid"])["results"] == 0
    props = page.get_by_test_id("build-properties")
    assert "bonjour" in props.inner_text()
    shot(page, artifacts, "build")
    step.locator(".step-row").click()
    page.get_by_test_id("step-log-link").first.click()
    viewer = page.get_by_test_id("log-viewer")
    viewer.wait_for()
    page.wait_for_selector("[data-testid=log-line]:has-text('green bonjour')")
    green = page.locator("[data-testid=log-line]:has-text('green bonjour') span").first
    assert "rgb(" in green.evaluate("e => getComputedStyle(e).color")
    page.get_by_test_id("log-first-error").click()
    # The jump is done when the line is the viewer's current one (it may be on screen before).
    page.wait_for_selector("[data-testid=log-line].current:has-text('a sample failure line')")
    page.get_by_test_id("log-search").fill("line 250")
    page.get_by_test_id("log-search").press("Enter")
    status = page.get_by_test_id("log-search-status")
    status.wait_for()
    page.wait_for_selector("[data-testid=log-line].current:has-text('line 250')")
    shot(page, artifacts, "log")


def test_a_running_build_updates_live_and_can_be_stopped(
    page: Any, deployment: Deployment, artifacts: Path
) -> None:
    slow = builderid(deployment, "slow")
    deployment.rpc("forceschedulers/force", "force", builderid=str(slow), greeting="hi")
    build = eventually(
        lambda: deployment.api(f"builders/{slow}/builds?complete=false")["builds"],
        what="a running slow build",
    )[0]
    page.goto(f"{deployment.url}#/builds/{build['buildid']}")
    page.wait_for_selector("[data-testid=step-row][data-result=running]", timeout=30_000)
    page.get_by_test_id("step-row").first.locator(".step-row").click()
    page.get_by_test_id("step-log-link").first.click()
    page.wait_for_selector("[data-testid=log-line]:has-text('tick 3')", timeout=30_000)
    # No reload: the lines keep coming through the websocket.
    page.wait_for_selector("[data-testid=log-line]:has-text('tick 12')", timeout=30_000)
    page.get_by_test_id("build-stop").click()
    eventually(
        lambda: deployment.build(build["buildid"])["complete"], what="the stopped build ends"
    )
    assert deployment.build(build["buildid"])["results"] == 6  # CANCELLED
    page.wait_for_selector("[data-testid=step-row][data-result='6']", timeout=30_000)
    shot(page, artifacts, "build-stopped")


def test_pause_and_unpause_a_worker(page: Any, deployment: Deployment, artifacts: Path) -> None:
    page.goto(f"{deployment.url}#/workers")
    row = page.locator("[data-testid=worker-row][data-name=e2e-worker]")
    row.wait_for()
    shot(page, artifacts, "workers")
    page.goto(f"{deployment.url}#/workers/{row.get_attribute('data-workerid')}")
    page.get_by_test_id("worker-pause").click()
    eventually(lambda: deployment.api("workers/e2e-worker")["workers"][0]["paused"], what="paused")
    state = page.get_by_test_id("worker-state")
    page.wait_for_selector("[data-testid=worker-state][data-paused=true]")
    page.get_by_test_id("worker-unpause").click()
    eventually(
        lambda: not deployment.api("workers/e2e-worker")["workers"][0]["paused"], what="unpaused"
    )
    page.wait_for_selector("[data-testid=worker-state][data-paused=false]")
    assert state.is_visible()


def test_main_views_render_with_live_data(
    page: Any, deployment: Deployment, artifacts: Path
) -> None:
    views = {
        "home": ("#/", "home"),
        "builders": ("#/builders", "builders-table"),
        "pending": ("#/pending", "pending-table"),
        "changes": ("#/changes", "changes-table"),
        "masters": ("#/masters", "masters-table"),
        "schedulers": ("#/schedulers", "schedulers-table"),
        "about": ("#/about", "about"),
    }
    for name, (route, testid) in views.items():
        page.goto(f"{deployment.url}{route}")
        # A list with nothing in it shows a note instead of an empty table.
        page.locator(f"[data-testid={testid}], .page .empty").first.wait_for()
        shot(page, artifacts, name)
    page.goto(f"{deployment.url}#/builders")
    rows = page.get_by_test_id("builder-row")
    eventually(lambda: rows.count() == 2, what="two builder rows")
    page.get_by_test_id("builders-search").fill("qui")
    eventually(lambda: rows.count() == 1, what="the search keeps one builder")
    assert re.search("quick", rows.first.inner_text())
    for name in ("waterfall", "console", "grid"):
        page.goto(f"{deployment.url}#/{name}")
        page.wait_for_load_state("networkidle")
        shot(page, artifacts, name)
    # The home page shows a build forced now without a reload.
    page.goto(f"{deployment.url}#/")
    page.get_by_test_id("home").wait_for()
    count = page.get_by_test_id("build-row").count()
    quick = builderid(deployment, "quick")
    deployment.rpc("forceschedulers/force", "force", builderid=str(quick), greeting="live")
    eventually(
        lambda: page.get_by_test_id("build-row").count() > count, what="a new row on the home page"
    )


def test_a_banner_shows_while_the_master_is_down_and_goes_when_it_is_back(
    page: Any, deployment: Deployment
) -> None:
    page.goto(f"{deployment.url}#/")
    page.get_by_test_id("home").wait_for()
    banner = page.get_by_test_id("connection-banner")
    assert not banner.is_visible()
    deployment.stop_master()
    banner.wait_for(state="visible", timeout=30_000)
    deployment.start_master()
    banner.wait_for(state="hidden", timeout=60_000)
