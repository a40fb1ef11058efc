"""The command line's error: one line for the user, no traceback."""


class UsageError(Exception):
    """A user mistake or an unmet precondition; ``str()`` is the whole message."""
