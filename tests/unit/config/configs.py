"""Helpers for writing throw-away master directories and loading them."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from marid.config.errors import ConfigError, ConfigErrors
from marid.config.loader import load_config
from marid.config.master_config import MasterConfig


def write(directory: Path, text: str, name: str = "master.cfg") -> Path:
    """Write ``text`` (dedented; line 1 is the first line after the opening quotes)."""
    path = directory / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def load(directory: Path, text: str) -> MasterConfig:
    write(directory, text)
    return load_config(directory)


def errors_of(directory: Path, text: str | None = None) -> list[ConfigError]:
    """The errors loading ``directory`` reports (after writing ``text`` as its config)."""
    if text is not None:
        write(directory, text)
    with pytest.raises(ConfigErrors) as raised:
        load_config(directory)
    return raised.value.errors


def one_error(directory: Path, text: str) -> ConfigError:
    errors = errors_of(directory, text)
    assert len(errors) == 1, [str(error) for error in errors]
    return errors[0]


def config_with(body: str) -> str:
    """A config that binds ``c`` and then runs ``body`` (which starts on line 2)."""
    return "c = BuildmasterConfig = {}\n" + textwrap.dedent(body).lstrip("\n")
