"""htpasswd files: every accepted hash format, and the lines Marid refuses."""

from __future__ import annotations

from pathlib import Path

import bcrypt
import pytest

from marid.config.errors import ErrorCollector
from marid.www import htpasswd
from marid.www.auth import HTPasswdAuth

# Made with `openssl passwd -apr1 -salt abcdefgh secret` and `openssl passwd -1 -salt saltsalt
# password`: known answers from an independent implementation.
OPENSSL_APR1 = "$apr1$abcdefgh$h9FWgUz3n9YxylKLlR5SQ/"
OPENSSL_MD5 = "$1$saltsalt$qjXMvbEw8oaL.CzflDtaK/"


def bcrypt_hash(password: bytes, prefix: bytes = b"$2b$") -> str:
    hashed = bcrypt.hashpw(password, bcrypt.gensalt(rounds=4))
    return (prefix + hashed[4:]).decode("ascii")


def test_apr1_matches_openssl() -> None:
    assert htpasswd.md5_crypt(b"secret", b"abcdefgh") == OPENSSL_APR1
    assert htpasswd.md5_crypt(b"password", b"saltsalt", b"$1$") == OPENSSL_MD5
    assert htpasswd.check(OPENSSL_APR1, b"secret")
    assert htpasswd.check(OPENSSL_MD5, b"password")
    assert not htpasswd.check(OPENSSL_APR1, b"Secret")


def test_apr1_of_a_long_password_round_trips() -> None:
    password = b"a much longer password than sixteen bytes, with \xc3\xa9"
    entry = htpasswd.md5_crypt(password, b"Xy.z/012")
    assert entry.startswith("$apr1$Xy.z/012$") and len(entry) == len("$apr1$Xy.z/012$") + 22
    assert htpasswd.check(entry, password)
    assert not htpasswd.check(entry, password[:-1])


@pytest.mark.parametrize("prefix", [b"$2b$", b"$2y$", b"$2a$"])
def test_bcrypt_entries_are_checked(prefix: bytes) -> None:
    entry = bcrypt_hash(b"hunter2", prefix)
    assert htpasswd.problem_of(entry) is None
    assert htpasswd.check(entry, b"hunter2")
    assert not htpasswd.check(entry, b"hunter3")


def test_bcrypt_counts_only_the_first_72_bytes_like_apache() -> None:
    entry = bcrypt_hash(b"x" * 72)
    assert htpasswd.check(entry, b"x" * 72 + b"anything after")


def test_sha_entries_are_checked() -> None:
    assert htpasswd.sha_hash(b"password") == "{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g="
    assert htpasswd.check("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", b"password")
    assert not htpasswd.check("{SHA}W6ph5Mm5Pz8GgiULbPgzG37mj9g=", b"passwore")


@pytest.mark.parametrize(
    ("hashed", "problem"),
    [
        ("secret", "plain-text or crypt(3) password"),
        ("rl0uE4ZBs/Y0k", "plain-text or crypt(3) password"),  # DES crypt
        ("$6$salt$abc", "uses the hash scheme $6$"),
        ("", "has no password hash"),
        ("$2y$05$short", "truncated bcrypt hash"),
    ],
)
def test_refused_lines_say_why_and_never_match(hashed: str, problem: str) -> None:
    assert problem in (htpasswd.problem_of(hashed) or "")
    assert not htpasswd.check(hashed, hashed.encode())


def test_parse_skips_comments_and_blank_lines() -> None:
    entries = htpasswd.parse("# users\n\nalice:{SHA}x\n  bob:$apr1$a$b  \n")
    assert [(e.username, e.hashed, e.lineno) for e in entries] == [
        ("alice", "{SHA}x", 3),
        ("bob", "$apr1$a$b", 4),
    ]


def test_htpasswd_auth_checks_each_format_from_the_file(tmp_path: Path) -> None:
    lines = [
        f"bcrypt:{bcrypt_hash(b'b-pw', b'$2y$')}",
        f"apr1:{htpasswd.md5_crypt(b'a-pw', b'saltsalt')}",
        f"sha:{htpasswd.sha_hash(b's-pw')}",
        "plain:p-pw",
    ]
    (tmp_path / "users.htpasswd").write_text("\n".join(lines) + "\n")
    auth = HTPasswdAuth("users.htpasswd")
    auth.basedir_changed(str(tmp_path))

    assert auth.check_credentials("bcrypt", b"b-pw")
    assert auth.check_credentials("apr1", b"a-pw")
    assert auth.check_credentials("sha", b"s-pw")
    assert not auth.check_credentials("plain", b"p-pw")
    assert not auth.check_credentials("sha", b"b-pw")
    assert not auth.check_credentials("nobody", b"s-pw")


def test_htpasswd_config_check_names_the_refused_line(tmp_path: Path) -> None:
    (tmp_path / "pw").write_text(f"ok:{htpasswd.sha_hash(b'x')}\nbob:plaintext\n")
    errors = ErrorCollector(str(tmp_path / "master.cfg"))
    HTPasswdAuth("pw").check_config(errors)

    assert len(errors) == 1
    message = errors.errors[0].message
    assert f"{tmp_path / 'pw'}:2: user 'bob' has a plain-text or crypt(3) password" in message
    assert errors.errors[0].filename == __file__  # the line that built the HTPasswdAuth


def test_htpasswd_config_check_reports_a_missing_file(tmp_path: Path) -> None:
    errors = ErrorCollector(str(tmp_path / "master.cfg"))
    HTPasswdAuth("missing").check_config(errors)

    assert "HTPasswdAuth: cannot read" in errors.errors[0].message
