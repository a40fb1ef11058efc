"""Errors the data API raises; the REST layer maps each to an HTTP status.

DataError
├── InvalidPathError      404: no endpoint has this path
├── NotFoundError         404: the path is valid but the entity does not exist
├── InvalidQueryError     400: a bad query parameter (field, order, limit, filter)
├── InvalidControlError   400: an unknown action or bad arguments to one
└── ConflictError         409: the action does not apply in the current state
"""

from __future__ import annotations


class DataError(Exception):
    status = 500


class InvalidPathError(DataError):
    status = 404


class NotFoundError(DataError):
    status = 404


class InvalidQueryError(DataError):
    status = 400


class InvalidControlError(DataError):
    status = 400
    # Details for the JSON-RPC error's ``data`` member (e.g. a message per form field).
    data: dict[str, object] | None = None


class ConflictError(DataError):
    status = 409
