"""The starting properties and render context of a build, gathered without a query.

Later sources override earlier ones, as in Buildbot: the global
``c['properties']``; the buildset's properties (scheduler, force form,
trigger); the builder's ``defaultProperties`` (only where nothing above set
the name); the build's own (``buildername``, ``builderid``, ``buildnumber``,
the source stamp's ``branch``/``revision``/``repository``/``codebase``/
``project`` when there is one codebase, ``reason``, ``owner``); the worker's
(``workername``, ``builddir``, ``workerbuilddir``, the worker's properties);
and the builder's ``properties``. ``got_revision`` is left to source steps.
"""

from __future__ import annotations

import ntpath
import posixpath
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from marid.process.properties import Properties, RenderContext
from marid.process.renderables import call_and_await, is_renderable
from marid.process.steplog import LogLimits

if TYPE_CHECKING:
    from marid.master import BuildMaster
    from marid.process.builder import Builder
    from marid.process.buildrequest import BuildRequest
    from marid.workers.connection import Connection

STAMP_PROPERTIES = ("branch", "revision", "repository", "codebase", "project")


def log_limits(master: BuildMaster) -> LogLimits:
    cfg = master.config
    if cfg is None:
        return LogLimits()
    return LogLimits(cfg.log_max_size, cfg.log_max_tail_size)


def secret_lookup(master: BuildMaster) -> Any:
    """An async lookup through ``c['secretsProviders']``, first answer wins."""
    providers = list(master.config.secrets_providers) if master.config is not None else []

    async def lookup(name: str) -> str | None:
        for provider in providers:
            getter = getattr(provider, "get", None)
            if getter is None:
                continue
            value = await call_and_await(getter, name)
            if value is not None:
                return str(value)
        return None

    return lookup


def render_context(
    master: BuildMaster, request: BuildRequest, connection: Connection, build: object
) -> RenderContext:
    return RenderContext(
        sourcestamps={stamp.get("codebase") or "": stamp for stamp in request.sources.values()},
        worker_info=connection.info,
        secrets=secret_lookup(master),
        build=build,
    )


async def fill_properties(
    props: Properties,
    master: BuildMaster,
    builder: Builder,
    request: BuildRequest,
    worker_name: str,
    connection: Connection,
) -> None:
    """Set the starting properties (see the module docstring); renderable values are rendered."""
    config = builder.config
    later: dict[str, tuple[Any, str]] = {}

    def update(values: Mapping[str, Any], source: str) -> None:
        for name, value in values.items():
            if is_renderable(value):
                later[name] = (value, source)
            else:
                later.pop(name, None)
                props.setProperty(name, value, source)

    if master.config is not None:
        update(master.config.properties, "Global")
    props.updateFromProperties(request.properties)
    update({k: v for k, v in config.defaultProperties.items() if k not in props}, "Builder")
    props.setProperty("buildername", builder.name, "Builder")
    props.setProperty("builderid", builder.builderid, "Builder")
    props.setProperty("buildnumber", None, "Build")
    if config.project is not None and not props.hasProperty("project"):
        props.setProperty("project", config.project, "Builder")
    stamps = list(request.sources.values())
    if len(stamps) == 1:
        for key in STAMP_PROPERTIES:
            value = stamps[0].get(key)
            props.setProperty(key, "" if value is None and key != "revision" else value, "Build")
    if request.reason is not None and not props.hasProperty("reason"):
        props.setProperty("reason", request.reason, "Build")
    owners = props.getProperty("owners")
    if not props.hasProperty("owner") and isinstance(owners, list) and owners:
        props.setProperty("owner", owners[0], "Build")
    props.setProperty("workername", worker_name, "Worker")
    workers = master.workers
    if workers is not None:
        update(workers.worker_properties(worker_name), "Worker")
    path = ntpath if connection.info.get("system") == "nt" else posixpath
    basedir = connection.info.get("basedir")
    builddir = path.join(basedir, config.workerbuilddir) if basedir else config.workerbuilddir
    props.setProperty("builddir", builddir, "Worker")
    props.setProperty("workerbuilddir", config.workerbuilddir, "Worker")
    update(config.properties, "Builder")
    for name, (value, source) in later.items():
        props.setProperty(name, await props.render(value), source)
