"""The ``marid`` distribution: the master (``marid``) and worker (``marid_worker``) packages."""

from pathlib import Path

from setuptools import find_namespace_packages, setup

VERSION = "0.1.0"

# Namespace discovery also picks up data-only directories (migrations, templates).
_EXCLUDE = ["*.__pycache__"]
packages = find_namespace_packages(
    "master", include=["marid", "marid.*"], exclude=_EXCLUDE
) + find_namespace_packages("worker", include=["marid_worker", "marid_worker.*"], exclude=_EXCLUDE)

setup(
    name="marid",
    version=VERSION,
    description="A continuous-integration framework in the style of Buildbot",
    long_description=Path("README.md").read_text(encoding="utf-8"),
    long_description_content_type="text/markdown",
    license="GPL-2.0-or-later",
    python_requires=">=3.11",
    package_dir={"marid": "master/marid", "marid_worker": "worker/marid_worker"},
    packages=packages,
    include_package_data=True,
    package_data={
        "marid": [
            "py.typed",
            "scripts/templates/*",
            "db/migrations/*.py",
            "db/migrations/*.mako",
            "db/migrations/versions/*.py",
            "www/static/**/*",
        ],
        "marid_worker": ["py.typed"],
    },
    install_requires=[
        "Twisted>=24.7",
        "SQLAlchemy>=2.0,<3",
        "alembic>=1.13",
        "zstandard>=0.22",
        "autobahn>=23.6",
        "bcrypt>=4.1",
    ],
    extras_require={
        "postgres": ["psycopg[binary]>=3.1"],
        "mysql": ["PyMySQL>=1.1"],
        "redis": ["redis>=5"],
        "docker": ["docker>=7"],
        "ec2": ["boto3>=1.34"],
        "libvirt": ["libvirt-python>=10"],
        "openstack": ["openstacksdk>=3"],
        "test": [
            "pytest>=8",
            "pytest-twisted>=1.14",
            "ruff>=0.6",
            "mypy>=1.10",
            "mypy-zope>=1.0",
            "psycopg[binary]>=3.1",
            "PyMySQL>=1.1",
            # Drives Debian's /usr/bin/chromium; never downloads a browser.
            "playwright>=1.40",
            # Draws the requests of the REST fuzz test (tests/integration/www/test_rest_fuzz.py).
            "hypothesis>=6.100",
        ],
    },
    entry_points={
        "console_scripts": [
            "marid=marid.scripts.runner:main",
            "marid-worker=marid_worker.scripts.runner:main",
        ]
    },
)
