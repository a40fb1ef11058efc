"""The worker's exceptions.

::

    Exception
    ├── ConfigError               a bad worker configuration (config file or command line)
    └── wire.MasterFacingError    raised by a remote_* method; PB sends it to the master
        ├── UnknownCommand        startCommand with a name the worker does not know
        ├── CommandArgumentError  startCommand with missing or malformed arguments
        └── BuilderBusy           startCommand while the builder's last command still runs,
                                  or on a builder the worker no longer serves
"""

from __future__ import annotations

from marid_worker.wire import MasterFacingError


class ConfigError(Exception):
    """A bad configuration value; ``str()`` is one line for the user."""


class UnknownCommand(MasterFacingError):
    """The master asked for a command this worker does not have."""


class CommandArgumentError(MasterFacingError):
    """The master sent arguments a command cannot run with."""


class BuilderBusy(MasterFacingError):
    """The master started a command on a builder whose previous command has not ended.

    A worker runs one command per builder at a time, in the builder's
    directory; the running command is left alone. Also raised for a builder
    that ``setBuilderList`` removed (its directory is no longer this
    builder's).
    """
