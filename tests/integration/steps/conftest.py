"""Steps in real builds: the in-process master and worker processes of ``tests.integration.builds``.

``build_env`` (see ``tests/integration/builds/conftest.py``) gives a master
directory, a ``master.cfg`` written from the test's lines and real worker
processes; ``run_build`` forces one build of ``b1`` and returns what the API
says about it, so each test reads like "this config gives that build".
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tests.integration.builds.conftest import BuildEnv, build_env, master_log

__all__ = ["BuildEnv", "build_env", "master_log"]


@dataclass
class BuildSummary:
    buildid: int
    results: int
    steps: list[dict[str, Any]]
    properties: dict[str, Any]

    def step(self, name: str) -> dict[str, Any]:
        return next(step for step in self.steps if step["name"] == name)


async def run_build(
    env: BuildEnv, builder: str = "b1", properties: dict[str, Any] | None = None, **stamp: Any
) -> BuildSummary:
    """Force one build of ``builder`` and wait for it; its steps and properties, from REST."""
    bsid, brid = await env.force(builder, properties, **stamp)
    await env.finished(bsid)
    build = (await env.get(f"buildrequests/{brid}/builds"))["builds"][-1]
    buildid = build["buildid"]
    steps = (await env.get(f"builds/{buildid}/steps"))["steps"]
    for step in steps:
        urls = step.get("urls") or []
        step["urls"] = urls
    props = (await env.get(f"builds/{buildid}?property=*"))["builds"][0]["properties"]
    return BuildSummary(buildid, build["results"], steps, props)


async def stdio(env: BuildEnv, summary: BuildSummary, step: str, log: str = "stdio") -> str:
    """A step's log without the one-letter stream prefixes."""
    number = summary.step(step)["number"]
    text = await env.log_text(summary.buildid, number, log)
    return "".join(line[1:] for line in text.splitlines(keepends=True))


def git(cwd: Path, *args: str) -> str:
    """Run git in ``cwd`` with a fixed identity; its stdout."""
    command = ["git", "-c", "user.name=Test", "-c", "user.email=test@example.org", *args]
    done = subprocess.run(command, cwd=cwd, check=True, capture_output=True, text=True)
    return done.stdout.strip()


def make_repo(path: Path, files: dict[str, str], branch: str = "main") -> str:
    """A git repository at ``path`` with one commit of ``files``; the commit id."""
    path.mkdir(parents=True)
    git(path, "init", "-q", "-b", branch)
    return commit(path, files, "first")


def commit(path: Path, files: dict[str, str], message: str) -> str:
    for name, text in files.items():
        (path / name).parent.mkdir(parents=True, exist_ok=True)
        (path / name).write_text(text)
    git(path, "add", "-A")
    git(path, "commit", "-q", "-m", message)
    return git(path, "rev-parse", "HEAD")
