"""Unit tests of the database layer: no server, no file."""
