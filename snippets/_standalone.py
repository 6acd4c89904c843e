"""Standalone copies of a term's code: one file, numpy and the standard library only.

A term module imports shared helpers (input checks from ``snippets._validate``, ``sigmoid`` inside
the binary cross-entropy, ...). :func:`standalone_source` follows those imports through the
package's own source and writes one self-contained file holding the module's public functions
and every definition they reach, in dependency order. The site offers it as a download on each
term page and ``python -m snippets show TERM`` prints it.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import re
from dataclasses import dataclass, field

PACKAGE = "snippets"
_MARKER = re.compile(r"^[ \t]*# --8<-- \[(start|end):[^\]]*\][ \t]*\n", re.M)


@dataclass
class _Module:
    """The top level of one source module: its definitions and what its imports bind."""

    name: str
    source: str
    doc: str = ""  # the module's docstring
    definitions: dict[str, ast.stmt] = field(default_factory=dict)  # name -> def/class/assign
    order: dict[str, int] = field(default_factory=dict)  # name -> position in the file
    internal: dict[str, tuple[str, str]] = field(default_factory=dict)  # alias -> (module, name)
    external: dict[str, str] = field(default_factory=dict)  # alias -> import statement


def _load(module_name: str) -> _Module:
    source = inspect.getsource(importlib.import_module(module_name))
    tree = ast.parse(source)
    module = _Module(module_name, source, ast.get_docstring(tree) or "")
    for position, node in enumerate(tree.body):
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            module.definitions[node.name] = node
            module.order[node.name] = position
        elif isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                if isinstance(target, ast.Name) and target.id != "__all__":
                    module.definitions[target.id] = node
                    module.order[target.id] = position
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module == "__future__":
                continue
            for alias in node.names:
                bound = alias.asname or alias.name
                if node.module == PACKAGE or node.module.startswith(PACKAGE + "."):
                    module.internal[bound] = (node.module, alias.name)
                else:
                    as_part = f" as {alias.asname}" if alias.asname else ""
                    module.external[bound] = f"from {node.module} import {alias.name}{as_part}"
        elif isinstance(node, ast.Import):
            for alias in node.names:
                bound = alias.asname or alias.name.split(".")[0]
                as_part = f" as {alias.asname}" if alias.asname else ""
                module.external[bound] = f"import {alias.name}{as_part}"
    return module


def _names_used(node: ast.AST) -> set[str]:
    """Every bare name a definition mentions (calls, annotations, defaults, globals)."""
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)}


def _public_names(module_name: str) -> list[str]:
    return list(importlib.import_module(module_name).__all__)


def standalone_source(module_name: str) -> str:
    """The self-contained source of ``module_name`` (e.g. ``"snippets.activations.sigmoid"``).

    Raises ``ValueError`` if two included definitions share a name but differ.
    """
    return _standalone(module_name, {})


def standalone_sources(module_names: list[str]) -> dict[str, str]:
    """:func:`standalone_source` of each of ``module_names``, reading each helper module once."""
    modules: dict[str, _Module] = {}
    return {name: _standalone(name, modules) for name in module_names}


def _standalone(module_name: str, modules: dict[str, _Module]) -> str:
    """The standalone file of ``module_name``; ``modules`` holds the modules already read."""

    def module(name: str) -> _Module:
        if name not in modules:
            modules[name] = _load(name)
        return modules[name]

    def resolve(mod_name: str, name: str) -> tuple[str, str]:
        """Follow re-exports (``from snippets.activations import sigmoid``) to the definition."""
        mod = module(mod_name)
        while name not in mod.definitions:
            if name not in mod.internal:
                raise ValueError(f"{mod_name}.{name} is neither defined nor imported from {PACKAGE}")
            mod_name, name = mod.internal[name]
            mod = module(mod_name)
        return mod_name, name

    included: set[tuple[str, str]] = set()
    visiting: list[tuple[str, str]] = []
    imports: set[str] = set()
    ordered: list[tuple[str, str]] = []

    def visit(mod_name: str, name: str) -> None:
        key = resolve(mod_name, name)
        if key in included or key in visiting:
            return
        visiting.append(key)
        mod = module(key[0])
        node = mod.definitions[key[1]]
        for used in sorted(_names_used(node)):
            if used == key[1]:
                continue
            if used in mod.definitions or used in mod.internal:
                visit(key[0], used)
            elif used in mod.external:
                imports.add(mod.external[used])
        visiting.pop()
        included.add(key)
        ordered.append(key)

    root = module(module_name)
    for public in _public_names(module_name):
        visit(module_name, public)

    # helpers from other modules first (grouped by module, in their source order), then this
    # module's own definitions in its source order: the file reads like the module itself
    def position(key: tuple[str, str]) -> tuple[int, str, int]:
        mod_name, name = key
        return (mod_name == module_name, mod_name, modules[mod_name].order[name])

    seen: dict[str, str] = {}  # name -> code: one definition per name in one file
    blocks: list[str] = []
    current = None
    for mod_name, name in sorted(ordered, key=position):
        mod = modules[mod_name]
        code = _MARKER.sub("", _with_decorators(mod.source, mod.definitions[name]))
        if name in seen:
            if seen[name] != code:
                raise ValueError(f"two different definitions of {name!r} would end up in one file")
            continue
        seen[name] = code
        if mod_name != current:
            current = mod_name
            path = mod_name.replace(".", "/") + ".py"
            label = "this term's code" if mod_name == module_name else "helper"
            blocks.append(f"# ---- {label}, from {path} ".ljust(79, "-"))
        blocks.append(code.rstrip())

    doc = root.doc or module_name
    header = (
        f'"""{doc.strip()}\n\n'
        f"Standalone copy of `{module_name}` from the deep-learning glossary: numpy and the standard\n"
        f"library only, every helper included. Generated from the tested package source.\n"
        f'"""\n'
    )
    import_lines = sorted(imports, key=lambda line: (not line.startswith("import "), line))
    parts = [header, "from __future__ import annotations\n", "\n".join(import_lines) + "\n"]
    parts.append("__all__ = [" + ", ".join(repr(n) for n in _public_names(module_name)) + "]\n")
    return "\n".join(parts) + "\n\n" + "\n\n\n".join(blocks) + "\n"


def _with_decorators(source: str, node: ast.stmt) -> str:
    """A definition's source, from its first decorator (if any) to its last line."""
    lines = source.splitlines(keepends=True)
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))]) - 1
    return "".join(lines[first : node.end_lineno])


def standalone_definitions(module_name: str, source: str | None = None) -> list[str]:
    """Names of the functions and classes the standalone file of ``module_name`` defines (``source``:
    that file's text, if already made)."""
    return [
        node.name
        for node in ast.parse(standalone_source(module_name) if source is None else source).body
        if isinstance(node, (ast.FunctionDef, ast.ClassDef))
    ]
