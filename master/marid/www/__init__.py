"""The master's web server: REST under ``/api/v2`` (``rest.py``) and its site (``service.py``).

Responses are always written from the reactor thread; database work happens
in the data API's thread pool and its results come back to the reactor before
anything is written to a request.
"""
