"""Validate a ``BuildmasterConfig`` dict into a ``MasterConfig``, collecting every error.

``KEY_CHECKS`` is the complete table of accepted keys; anything else is an
error that names the nearest known key, or what an old Buildbot key became.
The order of work is: configurators, one check per key, then the checks that
span keys (references between workers, builders and schedulers; multi-master
needs), then each config object's own ``check_config``.
"""

from __future__ import annotations

from collections.abc import MutableMapping
from typing import Any

from marid.config.checks_base import Check, KeyContext, suggestion, type_name
from marid.config.checks_network import NETWORK_CHECKS
from marid.config.checks_objects import (
    OBJECT_CHECKS,
    apply_configurators,
    check_references,
    run_object_checks,
)
from marid.config.checks_settings import SETTING_CHECKS
from marid.config.errors import ErrorCollector
from marid.config.master_config import MasterConfig

KEY_CHECKS: dict[str, Check] = {**SETTING_CHECKS, **NETWORK_CHECKS, **OBJECT_CHECKS}
KNOWN_KEYS = frozenset(KEY_CHECKS)

# Keys of older Buildbot versions, and what a config says today instead.
RENAMED_KEYS = {
    "slaves": "c['workers']",
    "slavePortnum": "c['protocols'] = {'pb': {'port': ...}}",
    "status": "c['services'] for reporters and c['www'] for the web UI",
    "mergeRequests": "c['collapseRequests']",
    "changeCacheSize": "c['caches'] = {'Changes': ...}",
    "buildCacheSize": "c['caches'] = {'Builds': ...}",
}


def unknown_key_message(key: str) -> str:
    if key in RENAMED_KEYS:
        return f"unknown key; Marid, like current Buildbot, uses {RENAMED_KEYS[key]}"
    return f"unknown key{suggestion(key, KNOWN_KEYS)}"


def check_multi_master(config: MasterConfig, errors: ErrorCollector) -> None:
    if not config.multi_master:
        return
    if config.mq.type == "simple":
        errors.add(
            "several masters need a shared message queue: set c['mq'] = "
            "{'type': 'redis', 'redis_url': ...}",
            key="multiMaster",
        )
    if config.db_url.startswith("sqlite"):
        errors.add(
            "several masters need a shared database server such as PostgreSQL, not SQLite",
            key="multiMaster",
        )


def validate(
    config_dict: MutableMapping[Any, Any],
    errors: ErrorCollector,
    basedir: str,
    config_file: str,
) -> MasterConfig:
    """Check every key of ``config_dict``; problems go to ``errors``, never raised."""
    config = MasterConfig.defaults(basedir, config_file)
    apply_configurators(config_dict, errors)
    for key, value in config_dict.items():
        if not isinstance(key, str):
            errors.add(f"BuildmasterConfig keys must be str, not {type_name(key)} ({key!r})")
            continue
        check = KEY_CHECKS.get(key)
        if check is None:
            errors.add(unknown_key_message(key), key=key)
            continue
        check(value, KeyContext(key, config, errors, config_dict))
    check_references(config, errors)
    check_multi_master(config, errors)
    run_object_checks(config, errors)
    return config
