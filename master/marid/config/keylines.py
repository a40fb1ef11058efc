"""Find the line of ``master.cfg`` that sets each top-level key, by reading its syntax tree.

Errors about a key point at the line where the user wrote it. The config is
parsed (never executed) here, and the following forms are recognised, for
``BuildmasterConfig`` and every name bound to the same dict (usually ``c``)::

    BuildmasterConfig = c = {}          c = {}; ...; BuildmasterConfig = c
    c['title'] = ...                    c['www']['port'] = ...
    c['workers'].append(...)            c['workers'] += [...]
    c.update(title=..., {'k': ...})     c.setdefault('k', ...)
    BuildmasterConfig = {'title': ...}  BuildmasterConfig = dict(title=...)

A key set more than once points at its last plain assignment, since that is
the value that counts; a key that is only mutated (appended to, updated)
points at the first mutation.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass

CONFIG_NAME = "BuildmasterConfig"


def find_config_aliases(tree: ast.AST) -> set[str]:
    """Names bound to the config dict: ``BuildmasterConfig`` and its aliases."""
    aliases = {CONFIG_NAME}
    assignments = [node for node in ast.walk(tree) if isinstance(node, ast.Assign)]
    changed = True
    while changed:
        changed = False
        for node in assignments:
            names = {t.id for t in node.targets if isinstance(t, ast.Name)}
            if isinstance(node.value, ast.Name):
                names.add(node.value.id)
            if names & aliases and not names <= aliases:
                aliases |= names
                changed = True
    return aliases


class _KeyLineVisitor(ast.NodeVisitor):
    def __init__(self, aliases: set[str]) -> None:
        self.aliases = aliases
        self.assigned: dict[str, int] = {}
        self.mutated: dict[str, int] = {}
        self.config_line: int | None = None

    def _assign(self, key: str, lineno: int) -> None:
        self.assigned[key] = lineno

    def _mutate(self, key: str, lineno: int) -> None:
        self.mutated.setdefault(key, lineno)

    def _root_key(self, node: ast.expr) -> tuple[str | None, bool]:
        """For ``c['k']...`` return ('k', whether node is exactly ``c['k']``)."""
        direct = True
        while isinstance(node, ast.Subscript | ast.Attribute):
            inner = node.value
            if (
                isinstance(node, ast.Subscript)
                and isinstance(inner, ast.Name)
                and inner.id in self.aliases
            ):
                key = node.slice
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    return key.value, direct
                return None, direct
            node = inner
            direct = False
        return None, False

    def _literal_keys(self, value: ast.expr) -> None:
        if isinstance(value, ast.Dict):
            for key in value.keys:
                if isinstance(key, ast.Constant) and isinstance(key.value, str):
                    self._assign(key.value, key.lineno)
        elif (
            isinstance(value, ast.Call)
            and isinstance(value.func, ast.Name)
            and value.func.id == "dict"
        ):
            self._call_keys(value)

    def _call_keys(self, call: ast.Call) -> None:
        """Keys given to ``dict(...)`` or ``c.update(...)``."""
        for argument in call.args:
            self._literal_keys(argument)
        for keyword in call.keywords:
            if keyword.arg is not None:
                self._assign(keyword.arg, keyword.lineno)

    def _target(self, target: ast.expr, value: ast.expr | None, lineno: int) -> None:
        if isinstance(target, ast.Name) and target.id in self.aliases and value is not None:
            if target.id == CONFIG_NAME:
                self.config_line = lineno
            self._literal_keys(value)
            return
        if isinstance(target, ast.Tuple | ast.List):
            for element in target.elts:
                self._target(element, None, lineno)
            return
        key, direct = self._root_key(target)
        if key is not None:
            (self._assign if direct else self._mutate)(key, lineno)

    def visit_Assign(self, node: ast.Assign) -> None:
        for target in node.targets:
            self._target(target, node.value, node.lineno)
        self.generic_visit(node)

    def visit_AnnAssign(self, node: ast.AnnAssign) -> None:
        self._target(node.target, node.value, node.lineno)
        self.generic_visit(node)

    def visit_AugAssign(self, node: ast.AugAssign) -> None:
        key, _ = self._root_key(node.target)
        if key is not None:
            self._mutate(key, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        if isinstance(func, ast.Attribute):
            owner = func.value
            if isinstance(owner, ast.Name) and owner.id in self.aliases:
                if func.attr == "update":
                    self._call_keys(node)
                elif func.attr == "setdefault" and node.args:
                    first = node.args[0]
                    if isinstance(first, ast.Constant) and isinstance(first.value, str):
                        self._assign(first.value, node.lineno)
            else:
                key, _ = self._root_key(owner)
                if key is not None:
                    self._mutate(key, node.lineno)
        self.generic_visit(node)


@dataclass(frozen=True)
class KeyLines:
    """The result of one scan: each key's line, and the line binding ``BuildmasterConfig``."""

    lines: dict[str, int]
    config_line: int | None


def scan_config(source: str | bytes, filename: str = "master.cfg") -> KeyLines:
    """Parse ``source`` and locate the config's keys; raises SyntaxError like ``compile``."""
    tree = ast.parse(source, filename)
    visitor = _KeyLineVisitor(find_config_aliases(tree))
    visitor.visit(tree)
    lines = dict(visitor.mutated)
    lines.update(visitor.assigned)
    return KeyLines(lines, visitor.config_line)


def find_key_lines(source: str | bytes, filename: str = "master.cfg") -> dict[str, int]:
    """Map each top-level key of the config dict to the line that sets it."""
    return scan_config(source, filename).lines
