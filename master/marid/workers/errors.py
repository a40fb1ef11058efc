"""Errors of the worker subsystem.

The hierarchy::

    Exception
     └── WorkerError
          ├── UnknownWorker        no worker of that name is configured
          ├── WorkerNotConnected   the worker is not attached (or did not attach in time)
          ├── UnknownBuilder       the worker has no such builder attached
          ├── BuilderWindowFull    every builder reference the worker allows is in use
          ├── PingFailed           the worker did not answer a ping in time (or the link failed)
          └── BuilderListNotApplied  a reconfig's builder list was refused by connected workers

Errors a worker itself receives over PB (a refused or rejected login) live in
``marid.workers.protocol.pb``, because they must be PB classes.
"""


class WorkerError(Exception):
    """Base class of the worker subsystem's errors."""


class UnknownWorker(WorkerError):
    """No worker of that name is configured on this master."""


class WorkerNotConnected(WorkerError):
    """The worker is not attached to this master."""


class UnknownBuilder(WorkerError):
    """The worker has not attached the builder a command was meant for."""


class BuilderWindowFull(WorkerError):
    """Every WorkerForBuilder reference the worker can hand out is held by a running build."""


class PingFailed(WorkerError):
    """The worker did not answer a ping; the message says why (the connection is dropped)."""


class BuilderListNotApplied(WorkerError):
    """Connected workers did not take a reconfig's new builder list; the message names them."""
