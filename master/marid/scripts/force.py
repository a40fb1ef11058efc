"""``marid force``: ask a running master to force a build, over its JSON-RPC API.

``marid force [options] [DIR] BUILDER`` reads ``DIR/master.cfg`` to learn the
web port and the force schedulers, picks the scheduler (``--scheduler``, or
the first force scheduler offering BUILDER), and POSTs the same JSON-RPC
``force`` call the web UI sends to ``/api/v2/forceschedulers/<name>``. It
prints ``buildset N: build request M on builder 'B'``; with ``--wait`` it then
polls the buildset until it completes and exits 0 only for success, warnings
or skipped. ``--url`` talks to another address and skips reading the config
(the scheduler name then defaults to ``force``).

``--property NAME=VALUE`` fills the form field whose ``fullName`` is NAME
(``--branch`` and ``--revision`` fill the unnamed codebase's fields); names
are checked against the scheduler's fields before anything is sent. Every
failure is one line on stderr and exit status 1.

On a master with ``c['www']['auth']``, ``--user NAME`` logs in first (the
password from ``$MARID_PASSWORD``, else asked on the terminal) and sends the
session's CSRF token with the call, as the web UI does.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import http.cookiejar
import json
import os
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Sequence
from typing import Any

from marid.scripts.errors import UsageError

POLL_SECONDS = 1.0
HTTP_TIMEOUT_SECONDS = 30.0
GOOD_RESULTS = (0, 1, 3)  # SUCCESS, WARNINGS, SKIPPED


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``marid force``; ``scripts/runner.py`` and ``main`` share them."""
    parser.add_argument(
        "--scheduler", help="the force scheduler (default: the first one for BUILDER)"
    )
    parser.add_argument("--reason", help="why the build is forced")
    parser.add_argument("--owner", help="who forces it (default: the form's username field)")
    parser.add_argument(
        "--property",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="set a form field (repeatable; a field name, e.g. 'options_clean')",
    )
    parser.add_argument("--branch", help="the branch of the unnamed codebase")
    parser.add_argument("--revision", help="the revision of the unnamed codebase")
    parser.add_argument("--wait", action="store_true", help="wait for the buildset to complete")
    parser.add_argument("--url", help="the master's web address (default: from master.cfg)")
    parser.add_argument(
        "--user",
        help="log in as this user first (password from $MARID_PASSWORD, else asked)",
    )
    parser.add_argument("basedir", nargs="?", default=".", help="the master directory (default: .)")
    parser.add_argument("builder", help="the builder to build on")


def _base_url(cfg: Any) -> str:
    from marid.config.endpoints import split_description

    description = cfg.www_port
    if description is None:
        raise UsageError("the master has no web server (c['www']['port'] is None); use --url")
    kind, *arguments = split_description(description)
    options = dict(a.partition("=")[::2] for a in arguments if "=" in a)
    positional = [a for a in arguments if "=" not in a]
    port = options.get("port") or (positional[0] if positional else "")
    if kind not in ("tcp", "tcp6", "ssl") or not port.isdigit() or port == "0":
        raise UsageError(f"cannot tell the web address from {description!r}; use --url")
    host = options.get("interface") or "127.0.0.1"
    if host in ("0.0.0.0", "::"):
        host = "127.0.0.1"
    if ":" in host:
        host = f"[{host}]"
    return f"{'https' if kind == 'ssl' else 'http'}://{host}:{port}/"


def _choose_scheduler(cfg: Any, name: str | None, builder: str) -> Any:
    from marid.schedulers.forcesched import ForceScheduler

    forcers = [s for s in cfg.schedulers if isinstance(s, ForceScheduler)]
    if name is not None:
        found = next((s for s in forcers if s.name == name), None)
        if found is None:
            known = ", ".join(repr(s.name) for s in forcers) or "none"
            raise UsageError(f"no force scheduler named {name!r} in master.cfg (known: {known})")
        if builder not in found.builderNames:
            raise UsageError(f"force scheduler {name!r} does not build {builder!r}")
        return found
    for scheduler in forcers:
        if builder in scheduler.builderNames:
            return scheduler
    raise UsageError(f"no force scheduler in master.cfg offers builder {builder!r}")


def _field_names(scheduler: Any) -> set[str]:
    from marid.schedulers.forceparams import AnyPropertyParameter

    names: set[str] = set()
    for field in scheduler.fields():
        if isinstance(field, AnyPropertyParameter):
            names.update({f"{field.fullName}_name", f"{field.fullName}_value"})
        elif field.fullName:
            names.add(field.fullName)
    return names


def _params(args: argparse.Namespace, fields: set[str] | None) -> dict[str, Any]:
    params: dict[str, Any] = {"builderNames": [args.builder]}
    given: list[tuple[str, str]] = []
    for item in args.property:
        name, equals, value = item.partition("=")
        if not equals or not name:
            raise UsageError(f"--property {item!r}: write NAME=VALUE")
        given.append((name, value))
    for name, value in (
        ("reason", args.reason),
        ("branch", args.branch),
        ("revision", args.revision),
    ):
        if value is not None:
            given.append((name, value))
    for name, value in given:
        if fields is not None and name not in fields:
            raise UsageError(
                f"the scheduler has no field {name!r} (fields: {', '.join(sorted(fields))})"
            )
        previous = params.get(name)
        params[name] = value if previous is None else [*_as_list(previous), value]
    if args.owner is not None:
        params["owner"] = args.owner
    return params


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


class Api:
    """The master's web API at ``base``, with the session cookie once logged in."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        self.headers = {"Content-Type": "application/json"}

    def log_in(self, user: str, password: str) -> None:
        token = base64.b64encode(f"{user}:{password}".encode()).decode("ascii")
        self.request("auth/login", headers={"Authorization": f"Basic {token}"})

    def start_session(self) -> None:
        """Read ``/config`` as the web UI does: with auth, it holds the CSRF token that
        control calls must carry."""
        config = self.request("config", missing_ok=True) or {}
        csrf = config.get("csrf_token")
        if isinstance(csrf, str):
            self.headers["X-Marid-CSRF"] = csrf

    def request(
        self,
        path: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        *,
        missing_ok: bool = False,
    ) -> Any:
        """The JSON answer at ``path``; None for a 404 with ``missing_ok`` (an API without
        the web UI's ``/config``)."""
        url = self.base + path
        data = None if body is None else json.dumps(body).encode("utf-8")
        request = urllib.request.Request(
            url, data=data, headers={**self.headers, **(headers or {})}
        )
        try:
            with self.opener.open(request, timeout=HTTP_TIMEOUT_SECONDS) as response:
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            if missing_ok and error.code == 404:
                return None
            try:
                answer = json.loads(error.read())
            except ValueError:
                raise UsageError(f"{url}: HTTP {error.code}") from None
            message = answer.get("error")
            if isinstance(message, dict):
                message = message.get("message")
            raise UsageError(str(message or f"HTTP {error.code}")) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise UsageError(
                f"cannot reach the master at {url}: {reason}; is it running?"
            ) from None


def _password(user: str) -> str:
    password = os.environ.get("MARID_PASSWORD")
    if password is not None:
        return password
    if not sys.stdin.isatty():
        raise UsageError(f"no password for {user!r}: set MARID_PASSWORD")
    return getpass.getpass(f"password for {user}: ")


def run(args: argparse.Namespace) -> int:
    fields: set[str] | None = None
    scheduler_name = args.scheduler or "force"
    if args.url:
        base = args.url if args.url.endswith("/") else args.url + "/"
    else:
        from marid.config.errors import ConfigErrors
        from marid.config.loader import load_config

        if not os.path.isdir(args.basedir):
            raise UsageError(f"{args.basedir}: no such directory")
        try:
            cfg = load_config(args.basedir)
        except ConfigErrors as errors:
            raise UsageError(f"master.cfg has errors, first: {errors.errors[0]}") from None
        base = _base_url(cfg)
        scheduler = _choose_scheduler(cfg, args.scheduler, args.builder)
        scheduler_name, fields = scheduler.name, _field_names(scheduler)
    body = {"jsonrpc": "2.0", "method": "force", "params": _params(args, fields), "id": 1}
    api = Api(base)
    if args.user:
        api.log_in(args.user, _password(args.user))
    api.start_session()
    answer = api.request(f"api/v2/forceschedulers/{scheduler_name}", body)
    if "error" in answer:
        raise UsageError(str(answer["error"].get("message")))
    bsid, requests = answer["result"]
    for brid in requests.values():
        print(f"buildset {bsid}: build request {brid} on builder {args.builder!r}")
    sys.stdout.flush()
    if not args.wait:
        return 0
    return _wait(api, bsid)


def _wait(api: Api, bsid: int) -> int:
    from marid.process.results import status_text

    while True:
        (buildset,) = api.request(f"api/v2/buildsets/{bsid}")["buildsets"]
        if buildset["complete"]:
            print(f"buildset {bsid} complete: {status_text(buildset['results'])}")
            return 0 if buildset["results"] in GOOD_RESULTS else 1
        time.sleep(POLL_SECONDS)


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m marid.scripts.force``: the same command outside ``marid``'s dispatcher."""
    parser = argparse.ArgumentParser(prog="marid force", description="Force a build.")
    add_arguments(parser)
    args = parser.parse_args(argv)
    try:
        return run(args)
    except UsageError as error:
        print(f"marid force: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
