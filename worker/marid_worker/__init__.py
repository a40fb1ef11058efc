"""The Marid worker: connects to a master over PB and runs the commands it sends.

It needs nothing but Twisted, and speaks the worker protocol of
``worker-protocol.md`` (Buildbot 4.x's), so it serves Marid and Buildbot masters.

- ``wire``: the only module that touches PB (login, remote calls, errors);
- ``connection``: login, keepalives and reconnection with backoff;
- ``bot``, ``builder``, ``info``: the objects the master calls;
- ``commands``: shell, filesystem and transfer commands and their update stream;
- ``service``, ``config``: one running worker and its ``marid-worker.json``;
- ``scripts``: the ``marid-worker`` command line.
"""

__version__ = "0.1.0"
