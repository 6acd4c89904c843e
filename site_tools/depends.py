"""What an executed block's output depends on, and whether that is still what is on disk.

A block's output is a function of its code (and of the blocks before it in its session), of the
project modules that code imports, of the data files it reads, and of the versions of Python and
the libraries involved. :class:`Dependencies` collects those facts while blocks run;
:meth:`Dependencies.fresh` tells, in a later build, whether every one of them still holds.

- **Project modules** (``snippets``, ``site_tools``: any package whose source lies in this
  checkout) are found by reading the ``import`` statements of the block with :mod:`ast`, then,
  through the same reading, of every module imported, transitively. A module counts by the hash of
  its source file as the build found it when it began (``_SNAPSHOT``).
- **A package's** ``__init__`` **is a list of re-exports**: ``from snippets import relu`` depends
  on the module that *defines* ``relu`` (and on what that module imports), not on every module the
  package re-exports, so editing one term's module re-runs only the pages that use it. What the
  name is bound to is recorded too (``snippets:relu -> snippets.activations.relu``) and checked
  again by importing the package, so moving a name to another module is a change as well. Code
  that imports the package object itself (``import snippets``) depends on all of it.
- **Data files** are what the block opened under the checkout (Python's audit events ``open``,
  ``os.listdir``, ``os.scandir``), by content hash; a folder it listed, by its sorted names.
  Opens of Python sources and bytecode, and listings of package folders, are the import system's,
  and are covered by the module rule above.
- **Versions**: Python, numpy and matplotlib always; any other library a block or a project module
  imports directly (scipy, say), by its distribution version.
"""

from __future__ import annotations

import ast
import hashlib
import importlib
import importlib.metadata
import inspect
import os
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent
# folders of the checkout that are not sources: nothing read there is a dependency
IGNORED = (".git", ".venv", ".cache", "site", "__pycache__")
ALWAYS = ("numpy", "matplotlib")  # every page's output depends on these, imported or not


def project_file(module: str) -> Path | None:
    """The source file of a module of this checkout (``pkg/__init__.py`` for a package), or None."""
    parts = module.split(".")
    if not (ROOT / parts[0] / "__init__.py").is_file():
        return None  # not a package of this checkout: stdlib or installed
    path = ROOT.joinpath(*parts)
    if (path / "__init__.py").is_file():
        return path / "__init__.py"
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else None


# The digest of every project source as the build found it when it began (snapshot_sources, called
# by execute.fresh_imports). A module is imported at most once per build, after that moment, and a
# block's dependencies record these digests, not the file's content when the block runs: a module
# edited during a build (a contributor saving while `serve` rebuilds) was imported as it was
# before the edit by one page and hashed as it is after it by the next page, whose output was then
# cached under the new source. With the digests from the start, such an output is at worst
# recorded as older than it is, and the next build runs it again.
_SNAPSHOT: dict[str, str] = {}


def snapshot_sources(root: Path, packages: tuple[str, ...]) -> None:
    """Remember the digest of every ``.py`` file of ``packages`` (folders of ``root``, the checkout)
    as it is now."""
    _SNAPSHOT.clear()
    for package in packages:
        for path in (root / package).rglob("*.py"):
            _SNAPSHOT[relative(path)] = digest(path.read_bytes())


def sources_digest(package: str) -> str:
    """One digest of every ``.py`` file of ``package`` as the build found it (``_SNAPSHOT``)."""
    prefix = f"{package}/"
    return digest("\n".join(f"{path} {d}" for path, d in sorted(_SNAPSHOT.items()) if path.startswith(prefix)).encode())


def tree_digest(folder: Path, pattern: str) -> str:
    """One digest of the names and contents of the files under ``folder`` that match ``pattern``."""
    parts = [f"{path.relative_to(folder).as_posix()} {digest(path.read_bytes())}" for path in sorted(folder.rglob(pattern))]
    return digest("\n".join([str(folder), *parts]).encode())


# What the build makes from the whole project (the term catalog, the standalone downloads), kept for
# the life of the process: the two editions of a build, and serve's rebuilds, make it once per change.
# Lives here because this module survives the imports each build refreshes (execute.MACHINERY).
_KEPT: dict[str, tuple[str, object]] = {}


def persistent(name: str) -> dict:
    """A dict that lives as long as the process (for memos of modules the build imports afresh)."""
    return _PERSISTENT.setdefault(name, {})


_PERSISTENT: dict[str, dict] = {}


def kept(name: str, key: str, make):
    """``make()``, or what it returned last time ``name`` was asked for with this ``key`` (a digest of
    everything ``make`` reads)."""
    last = _KEPT.get(name)
    if last is None or last[0] != key:
        _KEPT[name] = (key, make())
    return _KEPT[name][1]


def relative(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _imports(tree: ast.AST, package: str) -> list[tuple[str, tuple[str, ...] | None]]:
    """Every import in ``tree``, anywhere in it: ``(module, names)``; names None for ``import m``."""
    found: list[tuple[str, tuple[str, ...] | None]] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.extend((alias.name, None) for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolved against the importing module's package
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.append((base, tuple(alias.name for alias in node.names)))
    return found


@lru_cache(maxsize=None)
def _parse(source: str, package: str) -> tuple[tuple[str, tuple[str, ...] | None], ...]:
    return tuple(_imports(ast.parse(source), package))


@lru_cache(maxsize=None)
def distribution_version(top: str) -> str | None:
    """The installed version of the library that provides top-level module ``top``, or None (stdlib)."""
    if top in sys.stdlib_module_names or top == "__future__":
        return None
    try:  # most libraries are distributed under their module's name
        return f"{top} {importlib.metadata.version(top)}"
    except importlib.metadata.PackageNotFoundError:
        pass
    for dist in _distributions().get(top, []):
        return f"{dist} {importlib.metadata.version(dist)}"
    return f"{top} {getattr(sys.modules.get(top), '__version__', '?')}"


@lru_cache(maxsize=1)
def _distributions() -> dict[str, list[str]]:
    return importlib.metadata.packages_distributions()  # slow (reads every installed package): once


def _binding(package: str, name: str) -> str:
    """What ``from package import name`` gives: ``module`` for a module, ``module:qualname`` for a
    function or class, ``""`` for a value (a constant), which the package itself defines or passes on."""
    value = getattr(importlib.import_module(package), name)
    if isinstance(value, ModuleType):
        return value.__name__
    if inspect.isfunction(value) or inspect.isclass(value):
        return f"{value.__module__}:{value.__qualname__}"
    return ""


@dataclass
class Dependencies:
    """The facts an output depends on (see the module docstring). Plain data: it goes into JSON."""

    files: dict[str, str] = field(default_factory=dict)  # path -> sha256 ("" if absent)
    listings: dict[str, str] = field(default_factory=dict)  # folder -> sha256 of its sorted names
    bindings: dict[str, str] = field(default_factory=dict)  # "package:name" -> defining module
    versions: dict[str, str] = field(default_factory=dict)  # library -> "distribution version"
    complete: bool = True  # False if something could not be worked out: then the output is not cached

    def as_json(self) -> dict[str, dict[str, str]]:
        return {"files": self.files, "listings": self.listings, "bindings": self.bindings, "versions": self.versions}

    @classmethod
    def from_json(cls, data: dict[str, dict[str, str]]) -> Dependencies:
        return cls(**{key: dict(value) for key, value in data.items()})

    # -- recording --------------------------------------------------------------------------

    def add_code(self, code: str) -> None:
        """The block ``code`` is about to run: what it imports, and the versions every page depends on.

        Code that does not parse, or imports a name that does not exist, will fail when it runs (and
        failures are never cached); anything else that cannot be resolved leaves ``complete`` False."""
        self.versions.setdefault("python", sys.version.split()[0])
        for name in ALWAYS:
            self.versions.setdefault(name, distribution_version(name) or "")
        try:
            self._add_imports(_parse(code, ""))
        except Exception:
            self.complete = False

    def _add_module(self, module: str) -> None:
        path = project_file(module)
        if path is None or relative(path) in self.files:
            return
        source = path.read_bytes()
        self.files[relative(path)] = _SNAPSHOT.get(relative(path)) or digest(source)
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        self._add_imports(_parse(source.decode("utf-8"), package))

    def _add_imports(self, imports) -> None:
        for module, names in imports:
            path = project_file(module)
            if path is None:  # a library: its version
                top = module.split(".")[0]
                if top and top not in self.versions:
                    version = distribution_version(top)
                    if version is not None:
                        self.versions[top] = version
            elif names is None or path.name != "__init__.py" or "*" in names:
                self._add_module(module)  # a module, or all of a package
            else:  # from package import name, ...: the module that defines each name
                for name in names:
                    if project_file(f"{module}.{name}") is not None:
                        self._add_module(f"{module}.{name}")
                        continue
                    target = _binding(module, name)
                    self.bindings[f"{module}:{name}"] = target
                    # a value may come from anywhere in the package: all of it, to be safe
                    self._add_module(target.split(":")[0] if target else module)

    def opened(self, path: Path) -> None:
        """Audit event ``open``: a data file under the checkout was read."""
        name = relative(path)
        if name not in self.files:
            self.files[name] = _file_digest(path)

    def listed(self, path: Path) -> None:
        """Audit event ``os.listdir`` / ``os.scandir``: a folder under the checkout was listed."""
        self.listings.setdefault(relative(path), _listing_digest(path))

    # -- checking ---------------------------------------------------------------------------

    def fresh(self, memo: dict) -> bool:
        """True if every recorded fact still holds. ``memo`` caches look-ups for one build."""
        try:
            return (
                all(_memo(memo, ("file", p), _file_digest, ROOT / p) == h for p, h in self.files.items())
                and all(_memo(memo, ("dir", p), _listing_digest, ROOT / p) == h for p, h in self.listings.items())
                and all(
                    _memo(memo, ("version", lib), _current_version, lib) == v for lib, v in self.versions.items()
                )
                and all(
                    _memo(memo, ("binding", b), lambda b: _binding(*b.split(":")), b) == t
                    for b, t in self.bindings.items()
                )
            )
        except Exception:  # a package that no longer imports, a name that is gone: not fresh
            return False


def _memo(memo: dict, key, compute, argument):
    if key not in memo:
        memo[key] = compute(argument)
    return memo[key]


def _current_version(library: str) -> str:
    return sys.version.split()[0] if library == "python" else (distribution_version(library) or "")


def _file_digest(path: Path) -> str:
    try:
        return digest(path.read_bytes())
    except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
        return ""


def _listing_digest(path: Path) -> str:
    try:
        return digest("\n".join(sorted(os.listdir(path))).encode("utf-8"))
    except (FileNotFoundError, NotADirectoryError):
        return ""


def data_path(argument) -> Path | None:
    """The file or folder an audit event names, if it is data under the checkout (see module docstring)."""
    if isinstance(argument, int) or argument is None:  # a file descriptor
        return None
    try:
        path = Path(os.fsdecode(argument))
    except TypeError:
        return None
    path = Path(os.path.abspath(path))
    if not path.is_relative_to(ROOT):
        return None
    parts = path.relative_to(ROOT).parts
    if not parts or parts[0] in IGNORED or "__pycache__" in parts or path.suffix in {".py", ".pyc"}:
        return None
    if (path / "__init__.py").is_file():  # a package folder, listed by the import system
        return None
    return path
