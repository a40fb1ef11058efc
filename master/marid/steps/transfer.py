"""File transfers between master and worker, under the names Buildbot configs import.

Uploads (worker to master) live in ``upload.py``, downloads (master to
worker) in ``download.py``, and the path rules and staged writers they share
in ``transfer_base.py``; this module is the public face, as
``buildbot.steps.transfer`` is.
"""

from marid.steps.download import (
    FileDownload,
    JSONPropertiesDownload,
    JSONStringDownload,
    StringDownload,
)
from marid.steps.upload import DirectoryUpload, FileUpload, MultipleFileUpload

__all__ = [
    "DirectoryUpload",
    "FileDownload",
    "FileUpload",
    "JSONPropertiesDownload",
    "JSONStringDownload",
    "MultipleFileUpload",
    "StringDownload",
]
