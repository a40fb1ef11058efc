"""Tests of ``marid.config``: loading, validating and diffing ``master.cfg``."""
