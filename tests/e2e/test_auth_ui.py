"""Logging in through the UI, and control actions refused without the right role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.harness import Deployment, deployment_of, eventually, open_tab

CONFIG = r"""
c['title'] = "Marid e2e auth"
c['workers'] = [worker.Worker('auth-worker', 'auth-pass')]
f = util.BuildFactory([steps.ShellCommand(name='hello', command=['echo', 'hello'])])
c['builders'] = [util.BuilderConfig(name='guarded', workernames=['auth-worker'], factory=f)]
c['schedulers'] = [schedulers.ForceScheduler(name='force', builderNames=['guarded'])]
c['www']['auth'] = util.UserPasswordAuth({'admin': 'admin-pw', 'viewer': 'viewer-pw'})
c['www']['authz'] = util.Authz(
    allowRules=[util.AnyControlEndpointMatcher(role='admins')],
    roleMatchers=[util.RolesFromUsername(roles=['admins'], usernames=['admin'])],
)
"""


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    yield from deployment_of(tmp_path_factory, CONFIG, {"auth-worker": "auth-pass"})


@pytest.fixture
def page(browser: Any, deployment: Deployment) -> Iterator[Any]:
    yield from open_tab(browser)


def login(page: Any, username: str, password: str) -> None:
    page.get_by_test_id("login").click()
    page.get_by_test_id("login-username").fill(username)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


def force_from_builder_page(page: Any, deployment: Deployment) -> None:
    builderid = deployment.api("builders/guarded")["builders"][0]["builderid"]
    page.goto(f"{deployment.url}#/builders/{builderid}")
    page.get_by_test_id("force-button").click()
    page.get_by_test_id("force-dialog").get_by_test_id("force-submit").click()


def test_a_wrong_password_is_refused_with_a_message(page: Any, deployment: Deployment) -> None:
    page.goto(deployment.url)
    login(page, "admin", "not-the-password")
    error = page.get_by_test_id("login-error")
    error.wait_for()
    assert error.inner_text().strip() != ""
    assert not page.get_by_test_id("user").is_visible()


def test_anonymous_and_viewer_cannot_force_but_admin_can(
    page: Any, deployment: Deployment, artifacts: Path
) -> None:
    force_from_builder_page(page, deployment)
    refused = page.get_by_test_id("force-general-error")
    refused.wait_for()
    assert "not allowed for anonymous users" in refused.inner_text()
    assert "needs the role 'admins'" in refused.inner_text()
    assert deployment.api("builds")["meta"]["total"] == 0

    page.goto(deployment.url)
    login(page, "viewer", "viewer-pw")
    page.get_by_test_id("user").wait_for()
    assert "viewer" in page.get_by_test_id("user").inner_text()
    force_from_builder_page(page, deployment)
    refused = page.get_by_test_id("force-general-error")
    refused.wait_for()
    assert "not allowed for 'viewer'" in refused.inner_text()
    shot = artifacts / "force-refused.png"
    page.screenshot(path=str(shot))
    assert deployment.api("builds")["meta"]["total"] == 0

    page.goto(deployment.url)
    page.get_by_test_id("logout").click()
    page.get_by_test_id("login").wait_for()
    login(page, "admin", "admin-pw")
    page.get_by_test_id("user").wait_for()
    force_from_builder_page(page, deployment)
    build = eventually(lambda: deployment.api("builds")["builds"], what="the admin's build")[0]
    eventually(lambda: deployment.build(build["buildid"])["complete"], what="the build ends")
    assert deployment.build(build["buildid"])["results"] == 0
