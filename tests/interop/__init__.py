"""Interoperability tests: Marid against the real Buildbot packages from PyPI."""
