"""Port settings: numbers become endpoint strings, endpoint strings are checked."""

from __future__ import annotations

import pytest

from marid.config.endpoints import check_endpoint, normalise_port, split_description


def test_numbers_bind_to_loopback_or_everywhere_as_asked() -> None:
    assert normalise_port(8010, "loopback") == "tcp:8010:interface=127.0.0.1"
    assert normalise_port(9989, "all") == "tcp:9989"
    assert normalise_port("9989", "all") == "tcp:9989"


@pytest.mark.parametrize(
    "description",
    [
        "tcp:9989",
        "tcp:port=9989:interface=127.0.0.1",
        "tcp6:8010:interface=\\:\\:1",
        "ssl:8443:privateKey=key.pem:certKey=cert.pem",
        "unix:/run/marid.sock:mode=660",
        "systemd:domain=INET:index=0",
        "tcp:0",
    ],
)
def test_valid_endpoint_strings_are_kept_as_written(description: str) -> None:
    assert normalise_port(description, "loopback") == description


@pytest.mark.parametrize(
    ("description", "problem"),
    [
        ("http:8010", "unknown endpoint type 'http'"),
        ("tcp", "names no port"),
        ("tcp:99999", "port '99999' is not a number between 0 and 65535"),
        ("tcp:80:interfaces=127.0.0.4", "'tcp' endpoints take no option 'interfaces'"),
        ("tcp:80:81", "too many positional arguments"),
        ("unix:", "names no socket path"),
        ("systemd:index=0", "needs domain="),
        ("tcp:80:backlog=many", "backlog 'many' is not a number"),
    ],
)
def test_bad_endpoint_strings_say_what_is_wrong(description: str, problem: str) -> None:
    with pytest.raises(ValueError, match=problem):
        check_endpoint(description)


@pytest.mark.parametrize("value", [8010.0, True, None, [8010]])
def test_ports_of_other_types_are_refused(value: object) -> None:
    with pytest.raises(TypeError, match="must be a port number or an endpoint string"):
        normalise_port(value, "loopback")


def test_negative_port_numbers_are_refused() -> None:
    with pytest.raises(ValueError, match="between 0 and 65535"):
        normalise_port(-1, "all")


def test_backslash_escapes_a_colon() -> None:
    assert split_description("tcp6:80:interface=\\:\\:1") == ["tcp6", "80", "interface=::1"]
