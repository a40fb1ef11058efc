"""The worker-only ``marid-worker`` distribution: ``marid_worker`` alone, needing only Twisted.

Build it from this directory: ``pip install ./worker``.
"""

import re
from pathlib import Path

from setuptools import find_packages, setup

here = Path(__file__).parent
version = re.search(
    r'__version__ = "([^"]+)"', (here / "marid_worker" / "__init__.py").read_text()
).group(1)

setup(
    name="marid-worker",
    version=version,
    description="The Marid CI worker: runs build commands for a Marid (or Buildbot) master",
    license="GPL-2.0-or-later",
    python_requires=">=3.11",
    packages=find_packages(include=["marid_worker", "marid_worker.*"]),
    package_data={"marid_worker": ["py.typed"]},
    install_requires=["Twisted>=24.7"],
    entry_points={"console_scripts": ["marid-worker=marid_worker.scripts.runner:main"]},
)
