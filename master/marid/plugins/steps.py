"""``from marid.plugins import steps``: build steps for build factories
(``steps.ShellCommand``, source checkouts, ...).

The names below are imported on first use (see ``_registry``). A subsystem
adds its public names to ``_NAMES`` as ``"module:attribute"``; installed
packages add theirs through the ``marid.steps`` entry-point group.
"""

from typing import Any

from marid.plugins._registry import Namespace

_NAMES: dict[str, str] = {
    "BuildStep": "marid.process.buildstep:BuildStep",
    "ShellCommand": "marid.steps.shell:ShellCommand",
    "ShellMixin": "marid.steps.shell:ShellMixin",
    "Configure": "marid.steps.shell:Configure",
    "Compile": "marid.steps.shell:Compile",
    "Test": "marid.steps.shell:Test",
    "WarningCountingShellCommand": "marid.steps.shell:WarningCountingShellCommand",
    "ShellSequence": "marid.steps.shellsequence:ShellSequence",
    "SetPropertyFromCommand": "marid.steps.properties:SetPropertyFromCommand",
    "SetProperty": "marid.steps.properties:SetProperty",
    "SetProperties": "marid.steps.properties:SetProperties",
    "LogRenderable": "marid.steps.properties:LogRenderable",
    "Assert": "marid.steps.properties:Assert",
    "FileUpload": "marid.steps.transfer:FileUpload",
    "DirectoryUpload": "marid.steps.transfer:DirectoryUpload",
    "MultipleFileUpload": "marid.steps.transfer:MultipleFileUpload",
    "FileDownload": "marid.steps.transfer:FileDownload",
    "StringDownload": "marid.steps.transfer:StringDownload",
    "JSONStringDownload": "marid.steps.transfer:JSONStringDownload",
    "JSONPropertiesDownload": "marid.steps.transfer:JSONPropertiesDownload",
    "MakeDirectory": "marid.steps.worker_fs:MakeDirectory",
    "RemoveDirectory": "marid.steps.worker_fs:RemoveDirectory",
    "CopyDirectory": "marid.steps.worker_fs:CopyDirectory",
    "FileExists": "marid.steps.worker_fs:FileExists",
    "MasterShellCommand": "marid.steps.master_shell:MasterShellCommand",
    "Git": "marid.steps.git:Git",
    "Trigger": "marid.steps.trigger:Trigger",
}

_namespace = Namespace(__name__, _NAMES, entry_point_group="marid.steps")
_register = _namespace.register


def __getattr__(name: str) -> Any:
    return _namespace.resolve(name)


def __dir__() -> list[str]:
    return _namespace.names()
