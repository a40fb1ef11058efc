"""The ``marid`` command line. This is the only package that imports the global reactor.

Every sub-command lives in its own module with a ``run(args) -> int``; a user
mistake raises ``UsageError`` and becomes one line on stderr and exit status 1.
"""
