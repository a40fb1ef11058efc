"""Parsing what /auth/login receives: Basic credentials and redirect targets."""

from __future__ import annotations

import base64

import pytest

from marid.www.login import basic_credentials, safe_redirect


def basic(raw: bytes) -> bytes:
    return b"Basic " + base64.b64encode(raw)


def test_basic_credentials_split_at_the_first_colon() -> None:
    assert basic_credentials(basic(b"alice:pa:ss")) == ("alice", b"pa:ss")
    assert basic_credentials(basic("zoë:pw".encode())) == ("zoë", b"pw")
    assert basic_credentials(b"basic " + base64.b64encode(b"a:b")) == ("a", b"b")


@pytest.mark.parametrize(
    "header",
    [None, b"", b"Bearer abc", b"Basic !!!", basic(b"no-colon"), basic(b":pw"), basic(b"\xff:x")],
)
def test_unusable_authorization_headers_give_nothing(header: bytes | None) -> None:
    assert basic_credentials(header) is None


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ("/#/builders/3", "/#/builders/3"),
        ("#/builders", "/#/builders"),
        ("builders/3", "/ci/builders/3"),
        ("/ci/", "/ci/"),
    ],
)
def test_redirects_stay_on_this_site(value: str, location: str) -> None:
    base = "https://example.org/ci/" if not value.startswith(("/", "#")) else "http://x/"
    assert safe_redirect(value, base) == location


@pytest.mark.parametrize(
    "value",
    [
        "https://evil.example.com/",
        "//evil.example.com/",
        "/\\evil.example.com",
        "\\\\evil.example.com",
        "/\t/evil.example.com",
        "javascript:alert(1)",
        "http:evil.example.com",
        " //evil.example.com",
    ],
)
def test_redirects_off_site_are_refused(value: str) -> None:
    assert safe_redirect(value, "http://127.0.0.1:8010/") is None
