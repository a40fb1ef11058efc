"""``from marid.plugins import util``: the config toolbox: builder configs,
factories, properties and renderables, locks, web auth.

The names below are imported on first use (see ``_registry``). A subsystem
adds its public names to ``_NAMES`` as ``"module:attribute"``; installed
packages add theirs through the ``marid.util`` entry-point group.
"""

from typing import Any

from marid.plugins._registry import Namespace

_NAMES: dict[str, str] = {
    # results
    "SUCCESS": "marid.process.results:SUCCESS",
    "WARNINGS": "marid.process.results:WARNINGS",
    "FAILURE": "marid.process.results:FAILURE",
    "SKIPPED": "marid.process.results:SKIPPED",
    "EXCEPTION": "marid.process.results:EXCEPTION",
    "RETRY": "marid.process.results:RETRY",
    "CANCELLED": "marid.process.results:CANCELLED",
    "Results": "marid.process.results:Results",
    "worst_status": "marid.process.results:worst_status",
    # properties and renderables
    "Properties": "marid.process.properties:Properties",
    "Property": "marid.process.renderables:Property",
    "renderer": "marid.process.renderables:renderer",
    "Transform": "marid.process.renderables:Transform",
    "FlattenList": "marid.process.renderables:FlattenList",
    "Interpolate": "marid.process.interpolate:Interpolate",
    "WithProperties": "marid.process.interpolate:WithProperties",
    # builders and factories
    "BuilderConfig": "marid.process.builder_config:BuilderConfig",
    "BuildFactory": "marid.process.factory:BuildFactory",
    "ShellArg": "marid.steps.shellsequence:ShellArg",
    # locks
    "MasterLock": "marid.process.locks:MasterLock",
    "WorkerLock": "marid.process.locks:WorkerLock",
    "LockAccess": "marid.process.locks:LockAccess",
    # force scheduler parameters
    "AnyPropertyParameter": "marid.schedulers.forceparams:AnyPropertyParameter",
    "BooleanParameter": "marid.schedulers.forceparams:BooleanParameter",
    "ChoiceStringParameter": "marid.schedulers.forceparams:ChoiceStringParameter",
    "CodebaseParameter": "marid.schedulers.forceparams:CodebaseParameter",
    "FixedParameter": "marid.schedulers.forceparams:FixedParameter",
    "IntParameter": "marid.schedulers.forceparams:IntParameter",
    "NestedParameter": "marid.schedulers.forceparams:NestedParameter",
    "StringParameter": "marid.schedulers.forceparams:StringParameter",
    "TextParameter": "marid.schedulers.forceparams:TextParameter",
    "UserNameParameter": "marid.schedulers.forceparams:UserNameParameter",
    "WorkerChoiceParameter": "marid.schedulers.forceparams:WorkerChoiceParameter",
    # web authentication
    "NoAuth": "marid.www.auth:NoAuth",
    "UserPasswordAuth": "marid.www.auth:UserPasswordAuth",
    "HTPasswdAuth": "marid.www.auth:HTPasswdAuth",
    "RemoteUserAuth": "marid.www.auth:RemoteUserAuth",
    "UserInfoProviderBase": "marid.www.auth:UserInfoProviderBase",
    # web authorization
    "Authz": "marid.www.authz:Authz",
    "fnmatchStrMatcher": "marid.www.authz:fnmatchStrMatcher",
    "reStrMatcher": "marid.www.authz:reStrMatcher",
    "AnyEndpointMatcher": "marid.www.endpointmatchers:AnyEndpointMatcher",
    "AnyControlEndpointMatcher": "marid.www.endpointmatchers:AnyControlEndpointMatcher",
    "ForceBuildEndpointMatcher": "marid.www.endpointmatchers:ForceBuildEndpointMatcher",
    "StopBuildEndpointMatcher": "marid.www.endpointmatchers:StopBuildEndpointMatcher",
    "RebuildBuildEndpointMatcher": "marid.www.endpointmatchers:RebuildBuildEndpointMatcher",
    "EnableSchedulerEndpointMatcher": "marid.www.endpointmatchers:EnableSchedulerEndpointMatcher",
    "RolesFromGroups": "marid.www.roles:RolesFromGroups",
    "RolesFromEmails": "marid.www.roles:RolesFromEmails",
    "RolesFromUsername": "marid.www.roles:RolesFromUsername",
    "RolesFromOwner": "marid.www.roles:RolesFromOwner",
}

_namespace = Namespace(__name__, _NAMES, entry_point_group="marid.util")
_register = _namespace.register


def __getattr__(name: str) -> Any:
    return _namespace.resolve(name)


def __dir__() -> list[str]:
    return _namespace.names()
