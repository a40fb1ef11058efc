"""The force scheduler shapes Buildbot 4.3 returns, from ``docs/rest-shapes.md``."""

from __future__ import annotations

from typing import Any

ENTITY_KEYS = {"all_fields", "builder_names", "button_name", "enabled", "label", "name"}

# The first entry of ``all_fields`` of the recorded ``force`` scheduler, without its fields.
RECORDED_TOP_NEST: dict[str, Any] = {
    "autopopulate": None,
    "columns": 1,
    "default": "",
    "fullName": None,
    "hide": False,
    "label": "",
    "layout": "vertical",
    "maxsize": None,
    "multiple": False,
    "name": "",
    "regex": None,
    "required": False,
    "tablabel": "",
    "tooltip": "",
    "type": "nested",
}

RECORDED_USERNAME: dict[str, Any] = {
    "autopopulate": None,
    "default": "",
    "fullName": "username",
    "hide": False,
    "label": "Your name:",
    "maxsize": None,
    "multiple": False,
    "name": "username",
    "need_email": True,
    "regex": None,
    "required": False,
    "size": 30,
    "tablabel": "Your name:",
    "tooltip": "",
    "type": "username",
}
