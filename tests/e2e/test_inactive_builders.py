"""Builders left behind by a reconfig: a master that had 5,000 builders and now has 2.

The builders page and the grid show the 2 configured builders; the "show
inactive builders" toggle brings back the other 5,000, and the home page
counts them apart.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Deployment, _run, deployment_of, eventually, open_tab

MANY = 5000

# The old builders run on a worker that never connects, so that the connected
# worker's builder list stays small while there are 5,002 of them.
CONFIG = """
idle = [worker.Worker('idle', 'idle-pass')] if OLD else []
c['workers'] = [worker.Worker('e2e-worker', 'e2e-pass'), *idle]
f = util.BuildFactory([steps.ShellCommand(command='true')])
keep = [
    util.BuilderConfig(name=n, workernames=['e2e-worker'], factory=f) for n in ('keep-a', 'keep-b')
]
old = [util.BuilderConfig(name='old-%04d' % i, workernames=['idle'], factory=f) for i in range(OLD)]
c['builders'] = keep + old
"""


def reconfig(deploy: Deployment, old: int) -> None:
    cfg = deploy.basedir / "master" / "master.cfg"
    text = cfg.read_text()
    cfg.write_text(text[: text.index("OLD = ")] + f"OLD = {old}\n" + CONFIG)
    done = _run(sys.executable, "-m", "marid.scripts.runner", "reconfig", str(cfg.parent))
    assert done.returncode == 0, done.stdout + done.stderr + deploy.master_log()
    eventually(
        lambda: deploy.api("builders?active=true")["meta"]["total"] == 2 + old or None,
        timeout=120,
        what=f"the reconfig to {2 + old} builders",
    )


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    for deploy in deployment_of(tmp_path_factory, "OLD = 0\n" + CONFIG, {"e2e-worker": "e2e-pass"}):
        reconfig(deploy, MANY)  # 5,002 builders ...
        reconfig(deploy, 0)  # ... and then 2
        yield deploy


@pytest.fixture
def page(browser: Any, deployment: Deployment) -> Iterator[Any]:
    yield from open_tab(browser)


def test_inactive_builders_are_hidden_until_asked_for(
    page: Any, deployment: Deployment, artifacts: Path
) -> None:
    assert deployment.api("builders")["meta"]["total"] == MANY + 2
    page.goto(f"{deployment.url}#/builders")
    rows = page.get_by_test_id("builder-row")
    rows.first.wait_for()
    assert [t.split()[0] for t in rows.all_inner_texts()] == ["keep-a", "keep-b"]
    toggle = page.get_by_test_id("show-inactive")
    assert f"show inactive builders ({MANY})" in page.locator("label", has=toggle).inner_text()
    page.screenshot(path=str(artifacts / "builders-active-only.png"))

    toggle.check()
    page.wait_for_function(
        f"document.querySelectorAll('[data-testid=builder-row]').length === {MANY + 2}"
    )
    assert "inactive=1" in page.url
    assert page.locator("tr.inactive").count() == MANY

    page.goto(f"{deployment.url}#/grid")
    head = page.locator(".page-head")
    head.get_by_text(re.compile("^2 builders \u00d7")).wait_for()
    assert not page.get_by_test_id("show-inactive").is_checked()
    page.get_by_test_id("show-inactive").check()
    head.get_by_text(re.compile(f"^{MANY + 2} builders \u00d7")).wait_for()
    page.screenshot(path=str(artifacts / "grid-with-inactive.png"))

    page.goto(f"{deployment.url}#/")
    tile = page.locator(".tile").first
    tile.wait_for()
    assert tile.inner_text().replace("\n", " ") == f"2 builders · {MANY} inactive"
