"""The web server's access log: ``c['www']['logfileName']`` in the master directory.

One line per request in the combined log format, written to ``http.log`` by
default and rotated by size (``logRotateLength``, default 10 MB) keeping
``maxRotatedFiles`` old files (default 10). With ``logfileName=None`` no
request is logged anywhere: access lines never go to ``marid.log``, where the
UI's steady traffic would bury what matters.
"""

from __future__ import annotations

import os
from typing import Any

from twisted.python.logfile import LogFile
from twisted.web import http, server

DEFAULT_ROTATE_LENGTH = 10_000_000
DEFAULT_MAX_ROTATED_FILES = 10


class AccessLoggingSite(server.Site):
    """A ``Site`` whose access lines go to ``access_log`` (a file object) or nowhere."""

    access_log: Any = None

    def log(self, request: http.Request) -> None:
        if self.access_log is not None:
            self.access_log.write(self._logFormatter(self._logDateTime, request) + "\n")


class AccessLog:
    """Opens, reopens on a changed configuration, and closes the access log file."""

    def __init__(self, site: AccessLoggingSite) -> None:
        self.site = site
        self.spec: tuple[Any, ...] | None = None

    def configure(
        self,
        basedir: str,
        name: str | None,
        rotate_length: int | None = None,
        max_rotated_files: int | None = None,
    ) -> None:
        spec = (basedir, name, rotate_length, max_rotated_files)
        if spec == self.spec:
            return
        self.close()
        self.spec = spec
        if name is not None:
            self.site.access_log = LogFile.fromFullPath(
                os.path.join(basedir, name),
                rotateLength=rotate_length or DEFAULT_ROTATE_LENGTH,
                maxRotatedFiles=max_rotated_files or DEFAULT_MAX_ROTATED_FILES,
            )

    def close(self) -> None:
        log_file, self.site.access_log = self.site.access_log, None
        self.spec = None
        if log_file is not None:
            log_file.close()
