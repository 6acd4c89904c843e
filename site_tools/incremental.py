"""``mkdocs serve --dirty`` (what ``python3 dev.py serve`` runs): rebuild only the pages whose HTML
would change, and keep the search index whole.

MkDocs' dirty build converts and writes a page only when its output file is older than its source
(``File.is_modified``). That alone would leave pages stale: a page shows code included from
``snippets/`` (``--8<--``), outputs of blocks that import it, the names and summaries of other
terms (related terms, A-Z, abbreviations), and every page's title in the navigation. So, before the
pages are converted (``on_nav``), :func:`plan` gives each page a fingerprint of all it is made
from:

- this build's configuration (``mkdocs.yml``), the build code in ``site_tools/``, every page's
  path, URL, title and front matter (navigation, tags), and the term catalog (the English pages'
  front matter, which a Chinese page shows too: names, related terms);
- the page's own Markdown, the files it includes with ``--8<--`` and, for a term page (in either
  language), its standalone download (generated from its module and helpers);
- the outputs of its executed blocks as the last build used them: still the same only if each
  block's cache entry is still fresh and holds the same output (site_tools/execute.py).

A page whose fingerprint differs from the last build in this process has its output file removed,
so MkDocs converts it again; the rest keep their files.

Pages that are not converted still take part: each keeps the title it had when it was last converted
(for the navigation of those that are), and plugins that gather from every page see its Markdown
(``on_page_markdown``) at the point in page order where MkDocs would have converted it: Material's
tags plugin needs all of them to link the tags on a converted page, to list them on its tags index
(which is therefore converted in every build) and to write tags.json in the same order. Material's search plugin indexes only the pages
converted in a dirty build (its own merge assumes exactly one); :func:`merge_search` puts the other
pages' entries back from the last build, in page order, so the index is the one a full build writes.

Without ``--dirty`` (``mkdocs build``, CI) nothing here does anything. MkDocs warns on every dirty
build that navigation may be inaccurate; that is what this module takes care of, so the warning is
filtered out (under ``strict: true`` it would fail every rebuild).
"""

from __future__ import annotations

import copy
import hashlib
import json
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from mkdocs.utils import get_markdown_title

from site_tools import execute
from site_tools.depends import ROOT
from site_tools.i18n import canonical

INCLUDE = re.compile(r'--8<--\s+"([^"]+)"')
TAGS_INDEX = "<!-- material/tags"
BUILD_CODE = ROOT / "site_tools"


@dataclass
class _Converted:
    """What the last build made of a page it converted."""

    fingerprint: str
    title: str | None
    outputs: list[tuple[str, str]]  # its executed blocks: (cache key, output digest)
    search: list[dict]  # the page's search entries, before site_tools/search.py adds its fields


_dirty = False
_memo: dict[str, _Converted] = {}  # src_uri -> the page as last converted in this process
_planned: dict[str, str] = {}  # src_uri -> fingerprint, this build
_converted: dict[str, list[dict]] = {}  # src_uri -> search entries, for the pages converted this build
_pages: list = []
_skipped: list = []  # pages this dirty build does not convert, not yet shown to the plugins
_replaying = False
_seen = 0  # search entries already attributed to a page
conversions: list[list[str]] = []  # per dirty build (one per edition), the pages it converted, in order


class _DirtyWarning(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith("A 'dirty' build is being performed")


def startup(dirty: bool) -> None:
    """``on_startup``: remember whether builds are dirty."""
    global _dirty
    _dirty = dirty
    if dirty:
        logging.getLogger("mkdocs.commands.build").addFilter(_DirtyWarning())


def _hash(*parts) -> str:
    return hashlib.sha256(json.dumps(parts, sort_keys=True, default=str).encode("utf-8")).hexdigest()


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except OSError:
        return ""


def plan(config, files, generated: dict[str, str], catalog: str = "") -> None:
    """``on_nav``, after the execution cache is filled: remove the output of every page to rebuild.

    ``generated`` maps a page's src_uri to generated content it depends on (a term's standalone file);
    ``catalog`` is the term catalog (every English page's front matter, which the pages of every
    edition show: names, related terms, the A-Z list), as text.
    """
    global _pages, _seen
    _planned.clear()
    _converted.clear()
    _seen = 0
    _pages = [file.page for file in files.documentation_pages() if file.page is not None]
    if not _dirty:
        return
    conversions.append([])
    for page in _pages:
        page.read_source(config)  # front matter and Markdown: titles for the navigation
    site = _hash(
        _read(Path(config["config_file_path"])),
        {path.name: _read(path) for path in sorted(BUILD_CODE.glob("*.py"))},
        [(p.file.src_uri, p.url, p.meta, get_markdown_title(p.markdown)) for p in _pages],
        catalog,
    )
    rebuild = []
    for page in _pages:
        src = page.file.src_uri
        includes = {path: _read(ROOT / path.split(":")[0]) for path in INCLUDE.findall(page.markdown)}
        _planned[src] = _hash(site, page.markdown, includes, generated.get(canonical(src), ""))  # a translation: its English page's
        last = _memo.get(src)
        if (last is None or last.fingerprint != _planned[src] or not execute.unchanged(last.outputs)
                or TAGS_INDEX in page.markdown):
            rebuild.append(page)
    for page in rebuild:
        Path(page.file.abs_dest_path).unlink(missing_ok=True)  # MkDocs converts it again
    _skipped.clear()
    for page in _pages:
        last = _memo.get(page.file.src_uri)
        if not page.file.is_modified():  # MkDocs' own test: it will not convert this page
            _skipped.append(page)
            if last is not None and last.title is not None:
                page.title = last.title  # as it was when converted


def _show_skipped(config, files, until=None) -> None:
    """Plugins that gather from every page (Material's tags: the tag links on the converted pages,
    its tags index and tags.json) see each page that is not converted, in page order, where MkDocs
    would have converted it; the Markdown they return is not used."""
    order = {page.file.src_uri: i for i, page in enumerate(_pages)}
    limit = len(_pages) if until is None else order.get(until.file.src_uri, -1)
    global _replaying
    _replaying = True
    try:
        while _skipped and order[_skipped[0].file.src_uri] < limit:
            page = _skipped.pop(0)
            config.plugins.on_page_markdown(page.markdown, page=page, config=config, files=files)
    finally:
        _replaying = False


def replaying() -> bool:
    """Whether the plugins are being shown a page that is not converted (its Markdown goes nowhere)."""
    return _replaying


def before_page(page, config, files) -> None:
    """``on_pre_page``: the pages before this one that are not converted, as if they had been."""
    if _dirty:
        _show_skipped(config, files, until=page)


def before_env(config, files) -> None:
    """``on_env``, before every plugin's: the remaining pages that are not converted."""
    if _dirty:
        _show_skipped(config, files)


def converted(page, search) -> None:
    """``on_page_context``, after the search plugin's: ``page`` was converted; its search entries."""
    global _seen
    if not _dirty:
        return
    entries = search.search_index.entries if search is not None else []
    _converted[page.file.src_uri] = copy.deepcopy(entries[_seen:])
    _seen = len(entries)
    conversions[-1].append(page.file.src_uri)


def merge_search(search) -> None:
    """``on_post_build``, before the search plugin writes: every page's entries, in page order."""
    if not _dirty or search is None:
        return
    entries = []
    for page in _pages:
        src = page.file.src_uri
        if src in _converted:
            entries.extend(copy.deepcopy(_converted[src]))
        elif src in _memo:
            entries.extend(copy.deepcopy(_memo[src].search))
    search.search_index.entries = entries
    search.search_index_prev = None  # Material's own merge would add the converted pages twice


def finish() -> None:
    """``on_post_build``, before the execution cache's build ends: remember what the pages converted by this build were made from."""
    if not _dirty:
        return
    for page in _pages:
        src = page.file.src_uri
        if src in _converted:
            _memo[src] = _Converted(_planned[src], page.title, execute.outputs(src), _converted[src])


def failed() -> None:
    """``on_build_error``: forget everything; the next build converts every page."""
    _memo.clear()
