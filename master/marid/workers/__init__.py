"""Workers on the master side: configuration, the worker port, connections, controls.

- ``config``: ``Worker`` and ``LocalWorker``, the entries of ``c['workers']``;
- ``protocol/``: the PB listener and login (the only code that touches PB);
- ``connection``: one logged-in worker as builds see it (``Connection``);
- ``sessions``: logins, duplicates, the attach sequence, disconnects, missing timers;
- ``manager``: ``WorkerManager``, the service on the master (``master.workers``);
- ``local``: in-process workers; ``state``: per-worker records; ``errors``.

``transfer`` (file transfers for upload and download steps) sits beside them.
"""
