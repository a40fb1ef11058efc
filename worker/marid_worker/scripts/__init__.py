"""The ``marid-worker`` command line: create a worker directory, start, stop and restart it.

This package is the only part of the worker that imports the global reactor.
"""
