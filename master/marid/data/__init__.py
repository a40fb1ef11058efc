"""The data API: the only writer of state, and the reader behind REST and the UI.

Each resource type (``masters.py``, ``builds.py``, ...) has two halves:
- *updates*: coroutines that write the database and then publish an MQ event
  with Buildbot's routing key (``builds/12/new``); nothing else writes the DB;
- *endpoints*: read-only views at Buildbot's REST paths (``builders/n:builderid/builds``),
  with filters, ordering and paging pushed into SQL.

``DataConnector`` (``connector.py``) gathers them for the master.
"""
