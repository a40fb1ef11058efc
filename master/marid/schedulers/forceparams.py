"""The force form's parameters, as ``util.StringParameter`` and friends expose them.

This module only gathers the public names; the classes live in
``params_base`` (what all fields share), ``params_fields`` (plain fields)
and ``params_nested`` (nests, codebases, free-form properties).
"""

from marid.schedulers.errors import ValidationError
from marid.schedulers.params_base import BaseParameter, ValidationErrorCollector
from marid.schedulers.params_fields import (
    BooleanParameter,
    ChoiceStringParameter,
    FixedParameter,
    IntParameter,
    StringParameter,
    TextParameter,
    UserNameParameter,
    WorkerChoiceParameter,
)
from marid.schedulers.params_nested import (
    AnyPropertyParameter,
    CodebaseParameter,
    DefaultField,
    NestedParameter,
)

__all__ = [
    "AnyPropertyParameter",
    "BaseParameter",
    "BooleanParameter",
    "ChoiceStringParameter",
    "CodebaseParameter",
    "DefaultField",
    "FixedParameter",
    "IntParameter",
    "NestedParameter",
    "StringParameter",
    "TextParameter",
    "UserNameParameter",
    "ValidationError",
    "ValidationErrorCollector",
    "WorkerChoiceParameter",
]
