"""Shared pytest set-up: fixtures live in ``tests/fixtures/`` as plugins."""

pytest_plugins = ["tests.fixtures.databases", "tests.fixtures.data"]
