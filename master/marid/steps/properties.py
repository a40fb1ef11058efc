"""Steps about properties: set them from a command or a value, show a rendering, assert.

- ``SetPropertyFromCommand(command, property=None, extract_fn=None,
  strip=True, includeStdout=True, includeStderr=False)``: with
  ``property``, a successful command's stdout (stripped) becomes that
  property; with ``extract_fn(rc, stdout, stderr)`` (called whatever the exit
  code) the returned dict's items become properties. Exactly one of the two.
- ``SetProperty(property, value)`` and ``SetProperties(properties)`` (a dict
  or a renderable or ``fn(props)`` giving one).
- ``LogRenderable(content)``: the rendered value, pretty-printed, in a log
  named ``Output``.
- ``Assert(check)``: SUCCESS if ``check`` renders true, else FAILURE.
"""

from __future__ import annotations

import pprint
from typing import TYPE_CHECKING, Any, ClassVar

from marid.process.buildstep import BuildStep
from marid.process.renderables import call_and_await, is_renderable
from marid.process.results import FAILURE, SUCCESS
from marid.steps.shell import ShellMixin

if TYPE_CHECKING:
    from marid.config.errors import ErrorCollector


def _bad(step: BuildStep, errors: ErrorCollector, message: str) -> None:
    errors.add(f"{type(step).__name__} {step.name!r}: {message}", key="builders", about=step)


class SetPropertyFromCommand(ShellMixin):
    name = "setproperty"
    renderables: ClassVar[tuple[str, ...]] = ("property",)

    def __init__(
        self,
        property: Any = None,
        extract_fn: Any = None,
        strip: bool = True,
        includeStdout: bool = True,
        includeStderr: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.property = property
        self.extract_fn = extract_fn
        self.strip = strip
        self.includeStdout = includeStdout
        self.includeStderr = includeStderr
        self._changes: dict[str, Any] = {}

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if (self.property is None) == (self.extract_fn is None):
            _bad(self, errors, "give exactly one of property= and extract_fn=")
        if self.extract_fn is not None and not callable(self.extract_fn):
            _bad(self, errors, "extract_fn must be a function of (rc, stdout, stderr)")

    async def run(self) -> int:
        out: list[str] = []
        err: list[str] = []

        def collect(stream: str, text: str) -> None:
            if stream == "stdout" and self.includeStdout:
                out.append(text)
            elif stream == "stderr" and self.includeStderr:
                err.append(text)

        result = await self.run_shell(self.command, on_output=collect)
        outcome = self.result_of(result)
        stdout, stderr = "".join(out), "".join(err)
        if self.property is not None:
            if outcome != SUCCESS:
                return outcome
            value = stdout.strip() if self.strip else stdout
            self._set(str(self.property), value)
        else:
            found = await call_and_await(self.extract_fn, result.rc, stdout, stderr)
            if not isinstance(found, dict):
                raise TypeError(f"extract_fn returned {found!r}, not a dict of properties")
            for name, value in found.items():
                self._set(name, value)
        return outcome

    def _set(self, name: str, value: Any) -> None:
        self.setProperty(name, value, "SetPropertyFromCommand Step")
        self._changes[name] = value

    def getResultSummary(self) -> dict[str, str]:
        if len(self._changes) == 1:
            return {"step": f"property '{next(iter(self._changes))}' set"}
        if self._changes:
            return {"step": f"{len(self._changes)} properties set"}
        return {}


class SetProperty(BuildStep):
    name = "SetProperty"
    description = "Setting"
    descriptionDone = "Set"
    renderables: ClassVar[tuple[str, ...]] = ("property", "value")

    def __init__(self, property: Any = None, value: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.property = property
        self.value = value

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        if not isinstance(self.property, str) and not is_renderable(self.property):
            _bad(self, errors, "property must be a property name")

    async def run(self) -> int:
        self.setProperty(str(self.property), self.value, self.name)
        return SUCCESS


class SetProperties(BuildStep):
    name = "SetProperties"
    description = "Setting Properties.."
    descriptionDone = "Properties Set"

    def __init__(self, properties: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.properties = properties

    def check_config(self, errors: ErrorCollector) -> None:
        super().check_config(errors)
        value = self.properties
        if not isinstance(value, dict) and not is_renderable(value) and not callable(value):
            _bad(self, errors, "properties must be a dict, a renderable or a function")

    async def run(self) -> int:
        value = self.properties
        if not isinstance(value, dict) and not is_renderable(value) and callable(value):
            value = await call_and_await(value, self.getProperties())
        value = await self.render(value)
        if not isinstance(value, dict):
            raise TypeError(f"properties rendered to {value!r}, not a dict")
        for name, item in value.items():
            self.setProperty(name, item, self.name)
        return SUCCESS


class LogRenderable(BuildStep):
    name = "LogRenderable"
    description = "Logging"
    descriptionDone = "Logged"
    renderables: ClassVar[tuple[str, ...]] = ("content",)

    def __init__(self, content: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.content = content

    async def run(self) -> int:
        await self.addCompleteLog("Output", pprint.pformat(self.content))
        return SUCCESS


class Assert(BuildStep):
    name = "Assert"
    description = "Checking"
    descriptionDone = "checked"
    renderables: ClassVar[tuple[str, ...]] = ("check",)

    def __init__(self, check: Any = None, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.check = check

    async def run(self) -> int:
        return SUCCESS if self.check else FAILURE
