"""Run the pages' python blocks while the site is built: once per change, on every core.

**The seam.** markdown-exec's MkDocs plugin registers a superfences custom fence per language,
made of its public ``validator`` and ``formatter``. :func:`register` (``on_config``) replaces the
python fence's ``format`` with :func:`format_python`, which calls markdown-exec's public
``base_format`` with a ``run`` function of ours. Everything markdown-exec does around running a
block (source tabs, ``result=``, ``html=``, error reporting) is unchanged; only *how the code runs*
is ours. The runner works like markdown-exec's: one namespace per ``session`` and page, ``print``
writes into the output, an exception becomes markdown-exec's ``ExecutionError`` with the traceback,
which it logs as a warning (and ``strict: true`` turns into a failed build).

**The execution cache** (``.cache/exec/``, one JSON file per entry). The entry of the k-th block of
a session is found by a key hashed from the page, the session's name and blocks 1..k (code and
options). It holds that block's output and the dependencies of blocks 1..k
(:class:`site_tools.depends.Dependencies`: project modules by source hash, data files, library
versions), and is used only while every one of them still holds. So a session either takes all its
outputs from the cache, or, from the first block whose entry is missing or stale, runs again from
its own first block (earlier blocks are run again for their state; their outputs were already on
the page). An error is never cached.

**Every core.** Before MkDocs converts the pages (``on_nav``), :func:`prefill` finds the pages whose
blocks have no fresh entry (reading their fences from the Markdown source) and runs them in a pool of
forked processes, which write entries; conversion then finds every output in the cache. The pool is
only a head start: a block it missed or ran differently simply runs during conversion.

``GLOSSARY_EXEC_CACHE=0`` keeps nothing between builds: entries go to a temporary folder that is
deleted when the build ends, so every block runs (in the pool). ``GLOSSARY_BUILD_JOBS=1`` runs
every block in the build process, in page order.

Each build writes ``.cache/exec-log.json``: which blocks ran (in the build process or in a worker)
and which came from the cache, by page and id.
"""

from __future__ import annotations

import importlib.util
import json
import linecache
import logging
import multiprocessing
import os
import py_compile
import re
import shutil
import sys
import tempfile
import time
import traceback
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from functools import partial
from io import StringIO
from pathlib import Path
from py_compile import PycInvalidationMode
from types import ModuleType
from typing import Any

from markdown_exec import ExecutionError, base_format, code_block, validator

from site_tools.depends import ROOT, Dependencies, data_path, digest, snapshot_sources
from site_tools.i18n import canonical

CACHE = ROOT / ".cache" / "exec"
LOG = ROOT / ".cache" / "exec-log.json"
FORMAT = 1  # the layout of an entry; part of every key
KEEP_UNUSED = 7 * 24 * 3600  # an entry no build has used for a week is deleted
CHECKED_HASH = PycInvalidationMode.CHECKED_HASH

log = logging.getLogger("mkdocs.glossary.execute")


# this build machinery: imported once by the hooks, it holds the build's state between builds
MACHINERY = {"site_tools", "site_tools.execute", "site_tools.depends", "site_tools.incremental"}


def fresh_imports(root: Path = ROOT, packages: tuple[str, ...] = ("snippets", "site_tools")) -> None:
    """``on_pre_build``: the next import of a module of ``packages`` reads its source as it is now.

    Every such module a page can import is forgotten (``sys.modules``), and the packages' bytecode
    caches are rewritten to be checked against a hash of the source: the default check compares
    the source's modification time in whole seconds and its size, so a module edited twice within
    one second, to the same length, would run as it was before the second edit. (Only a file whose
    cache is not checked that way yet is compiled here: once it is, the import system checks the
    hash itself and writes the cache again, the same way, when the source changed.)
    """
    for package in packages:
        for path in sorted((root / package).rglob("*.py")):
            if not _checks_source_hash(path):
                py_compile.compile(str(path), quiet=2, invalidation_mode=CHECKED_HASH)
    snapshot_sources(root, packages)  # the sources as this build begins (see depends._SNAPSHOT)
    for name in list(sys.modules):
        if name.split(".")[0] in packages and name not in MACHINERY:
            del sys.modules[name]


def _checks_source_hash(source: Path) -> bool:
    """Whether ``source``'s bytecode cache exists and is checked against the source's hash (PEP 552)."""
    try:
        with open(importlib.util.cache_from_source(str(source)), "rb") as cache:
            header = cache.read(8)
    except OSError:
        return False
    return header[:4] == importlib.util.MAGIC_NUMBER and int.from_bytes(header[4:8], "little") == 0b11


def jobs() -> int:
    """Processes to use: ``GLOSSARY_BUILD_JOBS``, else the number of cores."""
    value = os.environ.get("GLOSSARY_BUILD_JOBS", "").strip()
    if value:
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"GLOSSARY_BUILD_JOBS must be a positive integer, got {value!r}")
        return int(value)
    return os.cpu_count() or 1


def cache_enabled() -> bool:
    """``GLOSSARY_EXEC_CACHE``: on unless it is 0 (or off/no/false)."""
    value = os.environ.get("GLOSSARY_EXEC_CACHE", "1").strip().lower()
    if value in {"", "1", "on", "yes", "true"}:
        return True
    if value in {"0", "off", "no", "false"}:
        return False
    raise ValueError(f"GLOSSARY_EXEC_CACHE must be 0 or 1, got {value!r}")


@dataclass(frozen=True)
class Block:
    """One executed fence: its code and every option that reaches the code."""

    code: str
    id: str = ""
    session: str = ""
    returncode: int = 0
    options: tuple = ()  # sorted (name, value) pairs: workdir, width, and the fence's other inputs

    @classmethod
    def of(cls, code: str, options: dict[str, Any]) -> Block:
        """From markdown-exec's validated ``options`` (what its ``validator`` fills in)."""
        extra = {str(k): str(v) for k, v in (options.get("extra") or {}).items()}
        more = {**extra, "workdir": str(options.get("workdir") or ""), "width": str(options.get("width") or 0)}
        return cls(
            code, str(options.get("id") or ""), str(options.get("session") or ""),
            int(options.get("returncode") or 0), tuple(sorted(more.items())),
        )


def key_of(page: str, blocks: list[Block]) -> str:
    """The cache key of the last of ``blocks``: page, session and every block so far. A translated
    page counts as its English page (site_tools/i18n.py): a block whose code is the same on both
    runs once."""
    data = [FORMAT, canonical(page), blocks[-1].session, [[b.code, b.id, b.returncode, list(b.options)] for b in blocks]]
    return digest(json.dumps(data).encode("utf-8"))


# -- running code -------------------------------------------------------------------------------

_recording: Dependencies | None = None  # what the running block reads (audit hook below)


def _audit(event: str, args: tuple) -> None:
    global _recording
    recording = _recording
    if recording is None or event not in {"open", "os.listdir", "os.scandir"} or not args:
        return
    _recording = None  # hashing the file opens it too
    try:
        path = data_path(args[0])
        if path is not None:
            (recording.opened if event == "open" else recording.listed)(path)
    except Exception:  # an audit hook must not break the block's own open(): just do not cache it
        recording.complete = False
    finally:
        _recording = recording


sys.addaudithook(_audit)  # audit hooks cannot be removed; this one does nothing between blocks


def _module_name(page: str, block: Block, index: int) -> str:
    """A module name for the block's namespace (classes defined there need one in sys.modules)."""
    return "_glossary_" + re.sub(r"\W+", "_", f"{page}_{block.session or block.id or index}")


def run_code(code: str, filename: str, namespace: dict[str, Any], extra: dict[str, str]) -> str:
    """Execute ``code`` in ``namespace``; what it prints is the output. Raises ExecutionError."""
    buffer = StringIO()
    namespace["print"] = partial(print, file=buffer)
    linecache.cache[filename] = (len(code), None, code.splitlines(True), filename)  # for tracebacks
    try:
        exec(compile(code, filename, "exec"), namespace)  # noqa: S102 - the page's own code
    except Exception as error:
        trace = traceback.TracebackException.from_exception(error)
        trace.stack = traceback.StackSummary.from_list(  # only the block's frames and what it called
            [frame for frame in trace.stack if frame.filename != __file__]
        )
        raise ExecutionError(code_block("python", "".join(trace.format()), **extra)) from error
    return buffer.getvalue()


class Session:
    """The blocks of one session on one page, as the build meets them (a block without a session
    is a session of one)."""

    def __init__(self, build: Build, page: str) -> None:
        self.build, self.page = build, page
        self.blocks: list[Block] = []
        self.namespace: dict[str, Any] | None = None  # None: nothing has run in this process yet
        self.dependencies = Dependencies()
        self.module: str | None = None

    def run(self, block: Block) -> str:
        """The block's output: from the cache if the session's entries are fresh, else by running."""
        self.blocks.append(block)
        key = key_of(self.page, self.blocks)
        if self.namespace is None:
            entry = self.build.lookup(key)
            if entry is not None:
                self.build.count("cached", self.page, block)
                self.build.note(self.page, key, entry["output"])
                return entry["output"]
            self.namespace = {}
            for index, earlier in enumerate(self.blocks[:-1], 1):  # the session's state, from its first block
                self._execute(earlier, index)
        start = time.perf_counter()
        output = self._execute(block, len(self.blocks))
        if self.dependencies.complete:
            self.build.store_entry(key, {
                "format": FORMAT, "page": self.page, "id": block.id, "output": output,
                "dependencies": self.dependencies.as_json(), "seconds": round(time.perf_counter() - start, 4),
            })
        self.build.note(self.page, key, output)
        return output

    def _execute(self, block: Block, index: int) -> str:
        global _recording
        assert self.namespace is not None
        if self.module is None:
            self.module = _module_name(self.page, block, index)
            self.namespace["__name__"] = self.module
            sys.modules[self.module] = ModuleType(self.module)
        self.dependencies.add_code(block.code)
        filename = f"<code block: {self.page} {block.id or index}>"
        extra = {k: v for k, v in block.options if k not in {"workdir", "width"}}
        self.build.count("ran", self.page, block)
        _recording = self.dependencies
        try:
            return run_code(block.code, filename, self.namespace, extra)
        finally:
            _recording = None

    def close(self) -> None:
        if self.module is not None:
            sys.modules.pop(self.module, None)
        self.namespace = None


# -- the cache and one build's state ------------------------------------------------------------


@dataclass
class Build:
    """One build (or one rebuild in ``mkdocs serve``)."""

    folder: Path  # where entries are read and written
    temporary: bool  # GLOSSARY_EXEC_CACHE=0: a folder of this build only
    where: str = "build"  # "build", or "worker" in a pool process
    page: str | None = None
    sessions: dict[str | tuple, Session] = field(default_factory=dict)
    entries: dict[str, dict | None] = field(default_factory=dict)  # key -> entry, read once per build
    memo: dict = field(default_factory=dict)  # dependency look-ups, once per build
    used: set[str] = field(default_factory=set)
    events: list[tuple[str, str, str, str]] = field(default_factory=list)  # (what, where, page, id)
    outputs: dict[str, list[tuple[str, str]]] = field(default_factory=dict)  # page -> (key, output digest)

    def lookup(self, key: str) -> dict | None:
        """The fresh entry for ``key``, or None."""
        if key not in self.entries:
            entry = None
            try:
                entry = json.loads((self.folder / f"{key}.json").read_text(encoding="utf-8"))
            except (OSError, ValueError):
                pass
            if entry is not None and (
                entry.get("format") != FORMAT
                or not Dependencies.from_json(entry["dependencies"]).fresh(self.memo)
            ):
                entry = None
            self.entries[key] = entry
        if self.entries[key] is not None:
            self.used.add(key)
        return self.entries[key]

    def store_entry(self, key: str, entry: dict) -> None:
        self.entries[key] = entry
        self.used.add(key)
        self.folder.mkdir(parents=True, exist_ok=True)
        partial_file = self.folder / f".{key}.{os.getpid()}.tmp"
        partial_file.write_text(json.dumps(entry), encoding="utf-8")
        os.replace(partial_file, self.folder / f"{key}.json")  # readers never see half an entry

    def note(self, page: str, key: str, output: str) -> None:
        self.outputs.setdefault(page, []).append((key, digest(output.encode("utf-8"))))

    def count(self, what: str, page: str, block: Block) -> None:
        self.events.append((what, self.where, page, block.id))

    def session(self, block: Block) -> Session:
        """The block's session on the current page (a new one for a block without a session)."""
        assert self.page is not None
        name: str | tuple = block.session or ("no session", len(self.sessions))  # never a string
        if name not in self.sessions:
            self.sessions[name] = Session(self, self.page)
        return self.sessions[name]

    def leave_page(self) -> None:
        for session in self.sessions.values():
            session.close()
        self.sessions.clear()
        self.page = None


_build: Build | None = None
_temporary: Path | None = None  # with the cache off: the folder the editions of one site build share


def outputs(page: str) -> list[tuple[str, str]]:
    """The blocks of ``page`` in this build: ``(cache key, digest of the output)`` each."""
    return list(_build.outputs.get(page, [])) if _build is not None else []


def unchanged(outputs: list[tuple[str, str]]) -> bool:
    """True if each of these blocks would give the same output now: a fresh entry, same output."""
    if _build is None:
        return False
    for key, output in outputs:
        entry = _build.lookup(key)
        if entry is None or digest(entry["output"].encode("utf-8")) != output:
            return False
    return True


def begin(first: bool = True) -> None:
    """``on_pre_build``: a new build's state (the cache folder, or a temporary one). ``first``: the
    first (English) edition of a site build; a later edition (site_tools/i18n.py) keeps using the
    first one's temporary folder, so that with the cache off a block is still run once per site."""
    global _build, _temporary
    end()
    if cache_enabled():
        _build = Build(CACHE, temporary=False)
        return
    if first or _temporary is None:
        _temporary = Path(tempfile.mkdtemp(prefix="glossary-exec-"))
    _build = Build(_temporary, temporary=True)


def end(failed: bool = False, first: bool = True, last: bool = True) -> None:
    """``on_post_build`` / ``on_build_error``: write the log, tidy the cache, forget the build.
    ``first`` / ``last``: this build is the first / last edition of a site build (site_tools/i18n.py);
    a later edition's blocks join the first one's in the log."""
    global _build, _temporary
    build, _build = _build, None
    if build is None:
        return
    if build.temporary and (last or failed):
        shutil.rmtree(build.folder, ignore_errors=True)
        _temporary = None
    elif not build.temporary and not failed:
        _tidy(build)
    if not failed:
        _write_log(build, append=not first)


def _tidy(build: Build) -> None:
    """Mark the entries this build used; delete entries no build has used for a week."""
    now = time.time()
    for path in build.folder.glob("*.json"):
        if path.stem in build.used:
            os.utime(path, (now, now))
        elif path.stat().st_mtime < now - KEEP_UNUSED:
            path.unlink(missing_ok=True)


def _write_log(build: Build, append: bool = False) -> None:
    ran = [e for e in build.events if e[0] == "ran"]
    cached = [e for e in build.events if e[0] == "cached"]
    workers = sum(1 for e in ran if e[1] == "worker")
    earlier = {"ran": [], "cached": []}
    if append:
        try:
            earlier = json.loads(LOG.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            pass
    LOG.parent.mkdir(parents=True, exist_ok=True)
    LOG.write_text(json.dumps({
        "cache": "off" if build.temporary else str(CACHE.relative_to(ROOT)),
        "ran": earlier["ran"] + [{"page": page, "id": id_, "where": where} for _, where, page, id_ in ran],
        "cached": earlier["cached"] + [{"page": page, "id": id_} for _, _, page, id_ in cached],
    }, indent=1), encoding="utf-8")
    log.info(
        "execution cache: %d python blocks ran (%d of them in worker processes); pages took %d outputs from %s",
        len(ran), workers, len(cached),
        "this build's temporary cache (GLOSSARY_EXEC_CACHE=0)" if build.temporary else ".cache/exec",
    )


def enter(page) -> None:
    """``on_pre_page``."""
    if _build is not None:
        _build.leave_page()
        _build.page = page.file.src_uri


def leave(page) -> None:
    """``on_page_content``: the page's blocks have all run; drop its namespaces (sessions never
    span pages), which would otherwise keep every array they made until the build ends."""
    if _build is not None:
        _build.leave_page()


# -- the markdown-exec seam ---------------------------------------------------------------------


def register(config) -> None:
    """``on_config``, after markdown-exec's: our runner behind markdown-exec's python fence."""
    fences = config["mdx_configs"].get("pymdownx.superfences", {}).get("custom_fences", [])
    python = [fence for fence in fences if fence.get("name") == "python"]
    if not python or any(fence.get("validator") is not validator for fence in python):
        raise RuntimeError(
            "site_tools.execute: expected markdown-exec's python fence in pymdownx.superfences "
            f"(plugin `markdown-exec` with `languages: [python]`), found {python!r}"
        )
    # markdown-exec adds its fence in every on_config, and mkdocs-static-i18n runs the whole build
    # (on_config included) again for each further edition: keep one, ours
    fences[:] = [fence for fence in fences if fence not in python[1:]]
    python[0]["format"] = format_python


def format_python(source: str, language: str, css_class: str, options: dict, md, **kwargs: Any) -> str:
    """A superfences formatter: markdown-exec's ``base_format`` with :func:`_run` as the runner."""
    run = partial(_run, workdir=options.get("workdir"), width=options.get("width"))
    return base_format(language="python", run=run, code=source, md=md, **options)


def _run(code: str, returncode: int = 0, session: str | None = None, id: str | None = None,  # noqa: A002
         *, workdir: str | None = None, width: int | None = None, **extra: str) -> str:
    block = Block.of(code, {"id": id, "session": session, "returncode": returncode,
                            "workdir": workdir, "width": width, "extra": extra})
    if _build is None or _build.page is None:  # not inside a page of a build: just run it
        return run_code(code, f"<code block: {block.id}>", {"__name__": "__main__"}, extra)
    return _build.session(block).run(block)


# -- filling the cache on every core ------------------------------------------------------------

OPENING = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})[ \t]*\{?\.?(?P<lang>[\w+-]+)(?P<info>[^\n]*)$")
ATTRIBUTE = re.compile(r"""([\w-]+)=(?:"([^"]*)"|'([^']*)'|([^\s"'}]+))""")


def fenced_blocks(markdown: str) -> list[Block]:
    """The executed python blocks of a page's Markdown, in order, as markdown-exec's validator reads
    their options. A fence this simple reader gets wrong only costs time: its block runs during
    conversion instead of in the pool."""
    lines = markdown.split("\n")
    blocks, i = [], 0
    while i < len(lines):
        opening = OPENING.match(lines[i])
        i += 1
        if opening is None:
            continue
        indent, fence = opening["indent"], opening["fence"]
        closing = re.compile(rf"^{re.escape(indent)}{re.escape(fence[0])}{{{len(fence)},}}[ \t]*$")
        body = []
        while i < len(lines) and not closing.match(lines[i]):
            body.append(lines[i][len(indent):] if lines[i].startswith(indent) else lines[i].lstrip())
            i += 1
        i += 1
        if opening["lang"] not in {"python", "py"}:
            continue
        inputs = {m[0]: next(v for v in m[1:] if v) if any(m[1:]) else "" for m in ATTRIBUTE.findall(opening["info"])}
        options: dict[str, Any] = {}
        if validator("python", inputs, options, {}, None):
            blocks.append(Block.of("\n".join(body), options))
    return blocks


def _prefill_page(task: tuple[str, list[Block]]) -> list[tuple[str, str, str, str]]:
    """In a pool process: run one page's blocks into the cache; returns what ran."""
    page, blocks = task
    build = _build
    assert build is not None
    build.where, build.page, build.events = "worker", page, []
    failed: set[str] = set()
    for block in blocks:
        if block.session in failed:
            continue
        try:
            build.session(block).run(block)
        except Exception:  # the build process runs it again and reports the error
            failed.add(block.session)
    build.leave_page()
    return build.events


def prefill(files) -> None:
    """``on_nav``: run, in a pool of processes, every page whose blocks lack a fresh entry."""
    build = _build
    if build is None:
        return
    tasks = []
    for file in files.documentation_pages():
        blocks = fenced_blocks(file.content_string) if "exec=" in file.content_string else []
        sessions: dict[str, list[Block]] = {}
        stale = False
        for block in blocks:
            so_far = sessions.setdefault(block.session, []) if block.session else []
            so_far.append(block)
            stale = stale or build.lookup(key_of(file.src_uri, so_far)) is None
        if stale:
            tasks.append((file.src_uri, blocks))
    workers = min(jobs(), len(tasks))
    if workers < 2:
        return  # one page to run, or one core: the build process runs it during conversion
    tasks.sort(key=lambda task: -sum(len(block.code) for block in task[1]))  # long pages first
    try:
        with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
            for events in pool.map(_prefill_page, tasks):
                build.events.extend(events)
    except BrokenProcessPool as error:  # a worker died: the build process runs what is missing
        log.warning("execution cache: a worker process died (%s); running the rest in the build", error)
    build.entries = {key: entry for key, entry in build.entries.items() if entry is not None}  # read the new ones
