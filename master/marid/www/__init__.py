"""The master's web server: REST under ``/api/v2`` (``rest.py``) and its site (``service.py``).

Responses are always written from the reactor thread; database work happens
in the data API's thread pool and its results come back to the reactor before
anything is written to a request.

Who may use it: ``auth.py`` (the ``c['www']['auth']`` objects; ``htpasswd.py``
checks htpasswd hashes), ``session.py`` (signed session cookies), ``authz.py``
with ``endpointmatchers.py``, ``roles.py`` and ``targets.py`` (what each user
may do), ``guard.py`` (applies all of it to each request: users, CSRF, CORS,
authz) and ``login.py`` (``/auth/login`` and ``/auth/logout``).
"""
