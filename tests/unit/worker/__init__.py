"""Unit tests of the worker package (``marid_worker``): no sockets, no processes."""
