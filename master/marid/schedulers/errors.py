"""What schedulers raise.

::

    Exception
     ├── SchedulerError               a scheduler could not add a buildset
     │    ├── SchedulerDisabledError  the scheduler is disabled (the ``enable`` action)
     │    ├── UnknownBuilderError     builder names that no configured builder has
     │    └── ForceValidationError    force parameters were rejected; ``errors`` maps
     │                                each field's ``fullName`` to its message
     └── ValueError
          └── ValidationError         one force parameter's value is bad; collected
                                      per field into a ``ForceValidationError``

The data API turns ``ForceValidationError`` and ``UnknownBuilderError`` into
``InvalidControlError`` (a JSON-RPC "invalid params" error) and
``SchedulerDisabledError`` into ``ConflictError``.
"""

from __future__ import annotations

from collections.abc import Mapping


class SchedulerError(Exception):
    """A scheduler could not add a buildset; the message says why."""


class SchedulerDisabledError(SchedulerError):
    """The scheduler is disabled, so it adds no buildsets."""


class UnknownBuilderError(SchedulerError):
    """The scheduler was asked to build on builders that are not configured."""


class ValidationError(ValueError):
    """One parameter's value is not acceptable; the message is shown beside the field."""


class ForceValidationError(SchedulerError):
    """Some force parameters were rejected: ``errors`` is ``{fullName: message}``."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))
