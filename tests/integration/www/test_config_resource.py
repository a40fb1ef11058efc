"""``/config``: what the UI learns about the master before its first API call."""

from __future__ import annotations

from pathlib import Path

import pytest
import pytest_twisted

from marid import __version__
from tests.integration.www.conftest import Server

pytestmark = pytest.mark.db_backends("sqlite")


@pytest_twisted.ensureDeferred
async def test_config_lists_versions_with_the_configured_extras(server: Server) -> None:
    server.www.extra_versions = [("our-app", "4.2")]
    body = (await server.http.get("/config")).json()
    names = [name for name, _ in body["versions"]]
    assert names[:3] == ["marid", "python", "twisted"]
    assert ["marid", __version__] in body["versions"]
    assert body["versions"][-1] == ["our-app", "4.2"]
    assert body["user"] == {"anonymous": True}


@pytest_twisted.ensureDeferred
async def test_json_cache_seconds_lets_browsers_reuse_successful_reads(server: Server) -> None:
    assert (await server.http.get("/api/v2/masters")).header("cache-control") == "no-cache"
    server.www.rest.cache_seconds = 30
    assert (await server.http.get("/api/v2/masters")).header("cache-control") == "max-age=30"
    missing = await server.http.get("/api/v2/builds/999")
    assert (missing.status, missing.header("cache-control")) == (404, None)


@pytest_twisted.ensureDeferred
async def test_the_built_ui_is_served_with_cache_headers_and_no_listings(
    server: Server, tmp_path: Path
) -> None:
    (tmp_path / "assets").mkdir()
    (tmp_path / "index.html").write_text("<!doctype html><title>ui</title>")
    (tmp_path / "assets" / "index-abc123.js").write_text("console.log(1)")
    server.www.site.resource = server.www._make_site(tmp_path).resource
    index = await server.http.get("/")
    assert (index.status, index.header("cache-control")) == (200, "no-cache")
    assert b"<title>ui</title>" in index.body
    script = await server.http.get("/assets/index-abc123.js")
    assert script.status == 200
    assert script.header("cache-control") == "public, max-age=31536000, immutable"
    assert (await server.http.get("/assets/")).status == 404
    assert (await server.http.get("/api/v2/masters")).status == 200
    assert (await server.http.get("/config")).json()["user"] == {"anonymous": True}


@pytest_twisted.ensureDeferred
async def test_requests_are_logged_to_the_access_log_and_nowhere_without_one(
    server: Server, tmp_path: Path
) -> None:
    server.www.access_log.configure(str(tmp_path), "http.log")
    await server.http.get("/api/v2/masters?limit=1")
    lines = (tmp_path / "http.log").read_text().splitlines()
    assert len(lines) == 1
    assert '"GET /api/v2/masters?limit=1 HTTP/1.1" 200' in lines[0]
    assert lines[0].startswith('"127.0.0.1"')

    server.www.access_log.configure(str(tmp_path), None)
    await server.http.get("/api/v2/masters")
    assert len((tmp_path / "http.log").read_text().splitlines()) == 1


def test_the_access_log_rotates_by_size(tmp_path: Path) -> None:
    from marid.www.accesslog import AccessLog, AccessLoggingSite

    site = AccessLoggingSite(None)
    log = AccessLog(site)
    log.configure(str(tmp_path), "http.log", rotate_length=100, max_rotated_files=2)
    for n in range(10):
        site.access_log.write(f"line {n} {'x' * 60}\n")
    log.close()
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["http.log", "http.log.1", "http.log.2"]
