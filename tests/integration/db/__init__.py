"""Integration tests of the database layer against real SQLite, PostgreSQL and MariaDB."""
