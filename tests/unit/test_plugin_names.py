"""Every name a plugin namespace advertises resolves to a real object."""

import importlib

import pytest

NAMESPACES = ("worker", "steps", "schedulers", "changes", "util", "reporters", "secrets")


@pytest.mark.parametrize("namespace", NAMESPACES)
def test_every_advertised_name_resolves(namespace: str) -> None:
    module = importlib.import_module(f"marid.plugins.{namespace}")
    for name in module._NAMES:
        assert getattr(module, name) is not None, f"{namespace}.{name}"
