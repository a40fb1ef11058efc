"""The database: SQLAlchemy Core tables, the thread pool and one component per entity group.

Only the data API (``marid.data``) calls the write methods here. Every query runs
in the pool's threads; the reactor thread never touches a connection.
"""
