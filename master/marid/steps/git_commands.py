"""The git command lines of the ``Git`` source step, as plain argv lists.

Nothing here talks to a worker: ``GitCommands`` turns the step's rendered
options into the argv of each git invocation, so the command sequences can
be read and tested on their own. ``git.py`` runs them on the worker (as
``shell`` commands in the checkout directory) and decides which to run.

Conventions, chosen so that a checkout never depends on what a previous
build left behind:

- ``fetch`` names the repository URL and the branch explicitly (not a
  remote), so a changed ``repourl`` takes effect without editing remotes;
  the fetched tip is then ``FETCH_HEAD``;
- ``checkout`` is always forced (``-f``), and a named branch is then
  re-pointed at what was checked out (``checkout -B``) so ``git branch``
  shows the configured name;
- ``clean`` removes untracked files and directories (``-f -f -d``), and
  ignored files too (``-x``) for the ``fresh`` method.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

HEAD = "HEAD"
"""The branch name meaning "the remote's default branch"."""

_SHA = re.compile(r"^[0-9a-f]{40}([0-9a-f]{24})?$")


def is_commit_id(text: str) -> bool:
    """True for a full SHA-1 (40 hex digits) or SHA-256 (64) object name."""
    return bool(_SHA.match(text))


def depth_of(shallow: bool | int) -> int | None:
    """The ``--depth`` a ``shallow`` option asks for: None (full history), or N >= 1."""
    if shallow is True:
        return 1
    if shallow is False or shallow is None:
        return None
    return max(1, int(shallow))


@dataclass(frozen=True)
class GitCommands:
    """Argv builders for one checkout; every argv starts with ``git`` and the ``-c`` options."""

    repourl: str
    branch: str = HEAD
    shallow: bool | int = False
    progress: bool = False
    config: Mapping[str, str] = field(default_factory=dict)

    def git(self, *args: str) -> list[str]:
        """``git -c k=v ... <args>``."""
        argv = ["git"]
        for key, value in self.config.items():
            argv += ["-c", f"{key}={value}"]
        return [*argv, *args]

    @property
    def depth(self) -> int | None:
        return depth_of(self.shallow)

    def version(self) -> list[str]:
        return ["git", "--version"]

    def clone(self, *, shallow: bool = True, with_branch: bool = True) -> list[str]:
        """Clone into the current directory (which must be empty or missing).

        ``with_branch`` checks out the configured branch instead of the
        remote's default; ``shallow`` honours the step's ``shallow`` option.
        """
        args = ["clone"]
        if with_branch and self.branch != HEAD:
            args += ["--branch", self.branch]
        if shallow and self.depth is not None:
            args += ["--depth", str(self.depth)]
        if self.progress:
            args.append("--progress")
        return self.git(*args, "--", self.repourl, ".")

    def fetch(self, ref: str | None = None, *, shallow: bool = True) -> list[str]:
        """Fetch ``ref`` (default: the configured branch) from ``repourl`` into FETCH_HEAD."""
        args = ["fetch", "-f", "-t"]
        if shallow and self.depth is not None:
            args += ["--depth", str(self.depth)]
        if self.progress:
            args.append("--progress")
        return self.git(*args, "--", self.repourl, ref or self.branch)

    def has_commit(self, revision: str) -> list[str]:
        """Exit 0 when ``revision`` names a commit already in the local repository."""
        return self.git("cat-file", "-e", f"{revision}^{{commit}}")

    def checkout(self, revision: str) -> list[str]:
        """Force the work tree to ``revision`` (a commit, a tag or FETCH_HEAD), detached."""
        argv = self.git("checkout", "-f", revision, "--")
        return [argv[0], "-c", "advice.detachedHead=false", *argv[1:]]

    def name_branch(self) -> list[str] | None:
        """Point the configured branch at HEAD and switch to it; None for ``HEAD``."""
        if self.branch == HEAD:
            return None
        return self.git("checkout", "-B", self.branch)

    def clean(self, *, ignored: bool) -> list[str]:
        """Remove untracked files and directories (``ignored``: also ignored ones)."""
        return self.git("clean", "-f", "-f", "-d", *(["-x"] if ignored else []))

    def submodule_sync(self) -> list[str]:
        return self.git("submodule", "sync", "--recursive")

    def submodule_update(self) -> list[str]:
        args = ["submodule", "update", "--init", "--recursive", "--force"]
        if self.depth is not None:
            args += ["--depth", str(self.depth)]
        if self.progress:
            args.append("--progress")
        return self.git(*args)

    def submodule_clean(self, *, ignored: bool) -> list[str]:
        """``git clean`` in every submodule, recursively."""
        clean = " ".join(["git", "clean", "-f", "-f", "-d", *(["-x"] if ignored else [])])
        return self.git("submodule", "foreach", "--recursive", clean)

    def rev_parse_head(self) -> list[str]:
        return self.git("rev-parse", "HEAD")

    def describe(self, options: Mapping[str, object] | None = None) -> list[str]:
        """``git describe`` with Buildbot's ``getDescription`` options.

        Keys: ``match`` (a glob), ``abbrev`` (int), ``dirty``, ``all``,
        ``tags``, ``contains``, ``always``, ``long`` (flags, or a string
        suffix for ``dirty``), ``candidates`` (int).
        """
        args = ["describe"]
        for key, value in (options or {}).items():
            if value is False or value is None:
                continue
            if key in ("match", "abbrev", "candidates") or (key == "dirty" and value is not True):
                args.append(f"--{key}={value}")
            else:
                args.append(f"--{key}")
        return self.git(*args)  # HEAD is implied, and --dirty refuses an explicit one
