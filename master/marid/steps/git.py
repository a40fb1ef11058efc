"""``Git``: check a git repository out on the worker, as Buildbot's Git step does.

Modes and methods (``mode``, ``method``):

``incremental``
    Keep the checkout: fetch the branch and force the work tree to the
    wanted revision (a revision already present is not fetched again).
    Untracked files stay.
``full`` + ``fresh`` (the default method)
    Like incremental, then remove every untracked and ignored file.
``full`` + ``clean``
    Like fresh, but ignored files stay (build caches survive).
``full`` + ``clobber``
    Remove the work directory and clone afresh.
``full`` + ``copy``
    Keep an incremental checkout in ``source/`` (beside the work directory)
    and copy it over a freshly removed work directory.

A work directory that is not a git checkout is removed and cloned. A fetch
that fails is tried once more with ``retryFetch``; with ``clobberOnFailure``
a failed update falls back to removing the directory and cloning; ``retry``
(``(delay, repeats)``) repeats a failed clone. ``shallow`` (True or a depth)
limits history; a revision missing from a shallow clone is fetched by id.
``submodules`` syncs and updates them recursively (and cleans them in full
mode). ``config`` adds ``-c key=value`` to every git command.

Buildbot options Marid lacks (``UNSUPPORTED``: ``sshPrivateKey``,
``reference``, ``tags``, ``filters``...) are configuration errors unless they
have Buildbot's default value.

Afterwards ``got_revision`` (per codebase, see ``source_base``) is the
checked-out commit from ``git rev-parse HEAD``; ``getDescription`` (True or a
dict of ``git describe`` options) also sets ``commit-description``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from marid.config.errors import ErrorCollector
from marid.process.buildstep import StepFailed
from marid.process.renderables import is_renderable
from marid.steps.git_commands import HEAD, GitCommands, is_commit_id
from marid.steps.source_base import Source

UNSUPPORTED: dict[str, Any] = {
    "reference": None,
    "remoteSubmodules": False,
    "tags": False,
    "filters": None,
    "origin": None,
    "sshPrivateKey": None,
    "sshHostKey": None,
    "sshKnownHosts": None,
    "port": 22,
    "auth_credentials": None,
    "git_credentials": None,
}
"""Buildbot's Git options that Marid does not implement yet, with Buildbot's defaults.

Giving the default (as a migrated config may) is harmless; any other value is
a configuration error rather than a checkout that quietly ignores it."""

MODES = ("incremental", "full")
METHODS = ("clobber", "fresh", "clean", "copy")
COPY_SOURCE = "source"
"""Where the ``copy`` method keeps its incremental checkout, relative to the builder directory."""


class Git(Source):
    """A git checkout; see the module docstring for ``mode`` and ``method``."""

    name = "git"
    renderables: ClassVar[tuple[str, ...]] = ("repourl", "branch", "shallow", "config")

    # Set for the duration of one checkout by run_vc.
    git: GitCommands
    revision: str | None = None

    def __init__(
        self,
        repourl: Any = None,
        branch: Any = HEAD,
        mode: str = "incremental",
        method: str | None = None,
        submodules: bool = False,
        shallow: Any = False,
        progress: bool = True,
        retryFetch: bool = False,
        clobberOnFailure: bool = False,
        getDescription: bool | Mapping[str, Any] = False,
        config: Any = None,
        **kwargs: Any,
    ) -> None:
        self.unsupported = {k: kwargs.pop(k) for k in list(kwargs) if k in UNSUPPORTED}
        super().__init__(**kwargs)
        self.repourl = repourl
        self.branch = branch
        self.mode = mode
        self.method = method
        self.submodules = submodules
        self.shallow = shallow
        self.progress = progress
        self.retryFetch = retryFetch
        self.clobberOnFailure = clobberOnFailure
        self.getDescription = getDescription
        self.config = config

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)

        def bad(message: str) -> None:
            errors.add(f"Git {self.name!r}: {message}", key="builders", about=self)

        for option, value in self.unsupported.items():
            if value != UNSUPPORTED[option]:
                bad(f"{option} is not supported yet (a Buildbot Git option Marid lacks)")
        if not self.repourl:
            bad("repourl is required")
        elif not isinstance(self.repourl, str) and not is_renderable(self.repourl):
            bad(f"repourl must be a string or a renderable, not {self.repourl!r}")
        if self.mode not in MODES:
            bad(f"mode must be one of {', '.join(MODES)}, not {self.mode!r}")
        if self.mode == "incremental" and self.method is not None:
            bad(f"method {self.method!r} needs mode='full'")
        elif self.method is not None and self.method not in METHODS:
            bad(f"method must be one of {', '.join(METHODS)}, not {self.method!r}")
        for flag in ("submodules", "progress", "retryFetch", "clobberOnFailure"):
            if not isinstance(getattr(self, flag), bool):
                bad(f"{flag} must be True or False")
        if not isinstance(self.shallow, bool | int) and not is_renderable(self.shallow):
            bad(f"shallow must be True, False or a depth, not {self.shallow!r}")
        if not isinstance(self.getDescription, bool | Mapping):
            bad("getDescription must be True, False or a dict of git describe options")
        config = self.config
        if config is not None and not isinstance(config, Mapping) and not is_renderable(config):
            bad("config must be a dict of git config options")

    # -- the checkout ------------------------------------------------------------------

    async def run_vc(self, branch: str | None, revision: str | None) -> None:
        if not isinstance(self.repourl, str) or not self.repourl:
            raise StepFailed(f"repourl rendered to {self.repourl!r}, not a repository URL")
        self.git = GitCommands(
            self.repourl,
            branch=str(branch or HEAD),
            shallow=self.shallow if isinstance(self.shallow, bool | int) else False,
            progress=self.progress,
            config={str(k): str(v) for k, v in (self.config or {}).items()},
        )
        self.revision = revision
        await self._check_git()
        method = self.method or "fresh"
        if self.mode == "incremental":
            await self._update(self.checkout_dir, clean=None)
        elif method == "clobber":
            await self._clobber(self.checkout_dir)
        elif method == "copy":
            await self.remove_directory(self.checkout_dir)
            await self._update(COPY_SOURCE, clean=None)
            await self.copy_directory(COPY_SOURCE, self.checkout_dir)
        else:
            await self._update(self.checkout_dir, clean=method)
        await self._record_revision()

    async def _check_git(self) -> None:
        result, _ = await self.run_tool(self.git.version())
        if result.rc != 0:
            raise StepFailed(
                f"git is not usable on worker {self.worker_name} "
                f"('git --version' gave exit code {result.rc}); is git installed?"
            )

    async def _update(self, workdir: str, clean: str | None) -> None:
        """Bring ``workdir`` to the wanted revision, cloning when it is not a checkout."""
        if not await self.exists(self.worker_path(workdir, ".git")):
            await self._clobber(workdir)
            return
        try:
            await self._fetch_and_checkout(workdir)
        except StepFailed as failure:
            if not self.clobberOnFailure:
                raise
            await self.note(f"{failure}; clobberOnFailure: removing {workdir} and cloning\n")
            await self._clobber(workdir)
            return
        if clean is not None:
            await self.must(self.git.clean(ignored=clean == "fresh"), workdir=workdir)
        await self._submodules(workdir, clean)

    async def _fetch_and_checkout(self, workdir: str) -> None:
        revision = self.revision
        if not (revision and await self._has_commit(revision, workdir)):
            await self._fetch(workdir)
            if revision:
                await self._fetch_revision_if_missing(workdir)
        await self.must(self.git.checkout(revision or "FETCH_HEAD"), workdir=workdir)
        await self._name_branch(workdir)

    async def _fetch(self, workdir: str) -> None:
        try:
            await self.must(self.git.fetch(), workdir=workdir)
        except StepFailed as failure:
            if not self.retryFetch:
                raise
            await self.note(f"{failure}; retryFetch: fetching again\n")
            await self.must(self.git.fetch(), workdir=workdir)

    async def _clobber(self, workdir: str) -> None:
        """Remove ``workdir`` and clone into it, trying again as ``retry`` allows."""
        delay, repeats = self.retry or (0, 0)
        for attempt in range(int(repeats) + 1):
            await self.remove_directory(workdir)
            try:
                await self._clone(workdir)
                return
            except StepFailed as failure:
                if attempt >= repeats:
                    raise
                await self.note(f"{failure}; retrying in {delay} s ({attempt + 1}/{repeats})\n")
                await self.sleep(float(delay))

    async def _clone(self, workdir: str) -> None:
        await self.must(self.git.clone(), workdir=workdir)
        if self.revision:
            await self._fetch_revision_if_missing(workdir)
            await self.must(self.git.checkout(self.revision), workdir=workdir)
            await self._name_branch(workdir)
        await self._submodules(workdir, clean=None)

    async def _fetch_revision_if_missing(self, workdir: str) -> None:
        """Fetch the wanted commit by id when the branch (or a shallow history) lacks it."""
        revision = self.revision
        assert revision is not None
        if await self._has_commit(revision, workdir):
            return
        if not is_commit_id(revision):
            raise StepFailed(f"revision {revision!r} is not in {self.git.repourl}")
        await self.note(f"{revision} is not on the fetched branch: fetching it by id\n")
        try:
            await self.must(self.git.fetch(revision), workdir=workdir)
        except StepFailed:
            raise StepFailed(f"revision {revision} is not in {self.git.repourl}") from None

    async def _has_commit(self, revision: str, workdir: str) -> bool:
        result, _ = await self.run_tool(self.git.has_commit(revision), workdir=workdir)
        return result.rc == 0

    async def _name_branch(self, workdir: str) -> None:
        argv = self.git.name_branch()
        if argv is not None:
            await self.must(argv, workdir=workdir)

    async def _submodules(self, workdir: str, clean: str | None) -> None:
        if not self.submodules:
            return
        await self.must(self.git.submodule_sync(), workdir=workdir)
        await self.must(self.git.submodule_update(), workdir=workdir)
        if clean is not None:
            await self.must(self.git.submodule_clean(ignored=clean == "fresh"), workdir=workdir)

    async def _record_revision(self) -> None:
        stdout = await self.must(self.git.rev_parse_head())
        revision = stdout.strip()
        if not is_commit_id(revision):
            raise StepFailed(f"git rev-parse HEAD printed {revision!r}, not a commit id")
        self.update_source_property("got_revision", revision)
        if self.getDescription:
            options = self.getDescription if isinstance(self.getDescription, Mapping) else None
            result, described = await self.run_tool(self.git.describe(options), collect=True)
            if result.rc == 0 and described.strip():
                self.update_source_property("commit-description", described.strip())
        await self.set_state_string(f"{self.describe(done=True)} {revision[:12]}")
