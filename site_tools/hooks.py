"""MkDocs hooks (registered in mkdocs.yml). What each event does:

- import time, and again ``on_pre_build`` (MkDocs restores ``sys.path`` after importing a hook):
  put this checkout first on ``sys.path``, so executed blocks import the ``snippets`` package and
  ``site_tools`` from the working tree being built;
- ``on_startup``: note whether builds are dirty (``mkdocs serve --dirty``, site_tools/incremental.py);
- ``on_config``: read the term catalog (front matter of docs/<family>/<slug>.md), fail the
  build on a missing field or an unknown related slug, and hand search a jieba user dictionary
  generated from the Chinese names so that e.g. 交叉熵 stays one word; in an offline build
  (``python3 dev.py bundle``), load our web-worker shim for file:// pages (docs/assets/javascripts);
- ``on_pre_build``: forget every imported ``snippets`` and ``site_tools`` module a page can import,
  so ``mkdocs serve`` executes the code as it is now on disk, not as it was when the server
  started; start the build's execution cache and put its runner behind markdown-exec's python
  fence (site_tools/execute.py);
- ``on_files``: add a generated index page for every family folder (docs/<family>/index.md), the
  cheat sheet (docs/cheat-sheet.md: every term as a card with its formula) and
  each term's standalone file (snippets._standalone) as a download next to its page;
- ``on_nav``: run the blocks that have no fresh cache entry, in a pool of processes; in a dirty
  build, choose the pages to convert again;
- ``on_page_markdown``: give each term page its header (title, aliases, Chinese names), the
  download line under "Implementation" and its "Related terms"; fill the A-Z and family markers;
  append the abbreviation definitions (tooltips) to every page;
- ``on_pre_page`` / ``on_page_content``: tell the runner which page it is on; turn LaTeX into
  MathML, mark code listings, output and MathML ``data-search-exclude`` (site_tools/search.py), give
  Chinese text ``lang="zh-Hans"`` (site_tools/a11y.py), and free the page's sessions;
- ``on_page_context`` (after the search plugin's): a dirty build keeps the page's search entries;
- ``on_post_page``: name Material's search dialog and cut the templates' indentation from the HTML
  (site_tools/a11y.py, site_tools/lean.py);
- ``on_post_build`` (before the search plugin writes its index): write the execution log and tidy
  the cache; in a dirty build, put back the search entries of the pages not converted; give each
  term page's search entry the fields of site_tools/search.py (names, other names, Chinese stems),
  so that a search for any of a term's names finds its page first.
"""

from __future__ import annotations

import linecache
import os
import re
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402
from mkdocs.structure.files import File  # noqa: E402

from site_tools import a11y, depends, execute, i18n, incremental, lean, render  # noqa: E402
from site_tools.catalog import CatalogError, Term, current_terms, jieba_user_dict, translation  # noqa: E402
from site_tools.mathml import render_math  # noqa: E402
from site_tools.plot import localize  # noqa: E402
from site_tools.search import fresh_segmenter, leave_out_of_index, search_fields, vocabulary  # noqa: E402

OFFLINE_WORKER_SHIM = "assets/javascripts/iframe-worker.js"  # Worker for file:// pages (the offline bundle)
TERMS: dict[str, Term] = {}
ABBREVIATIONS = ""  # the abbr extension's definitions (site-wide tooltips), appended to every page
STANDALONE: dict[str, tuple[str, list[str]]] = {}  # term module -> its standalone file and the names it defines (on_files)
MARKERS = {
    "<!-- glossary:a-z -->": render.a_to_z,
    "<!-- glossary:families -->": render.families_overview,
}


def _search_plugin(config):
    for name, plugin in config["plugins"].items():
        if name.endswith("search"):
            return plugin
    return None


@event_priority(100)  # before the search plugin's on_config, which loads the jieba dictionary
def on_config(config):
    global TERMS, ABBREVIATIONS
    try:
        TERMS = current_terms(Path(config["docs_dir"]))
    except CatalogError as error:
        raise PluginError(str(error)) from error
    ABBREVIATIONS = render.abbreviation_definitions(TERMS)
    words = jieba_user_dict(TERMS)
    # named by its contents: builds of other projects (test fixtures) may run at the same time
    dictionary = Path(tempfile.gettempdir()) / f"dl-glossary-jieba-{depends.digest(words.encode())[:16]}.txt"
    if not dictionary.is_file():
        partial = dictionary.with_suffix(f".{os.getpid()}.tmp")
        partial.write_text(words, encoding="utf-8")
        partial.replace(dictionary)  # atomic: another build never reads half a file
    search = _search_plugin(config)
    if search is not None:
        search.config["jieba_dict_user"] = str(dictionary)
        fresh_segmenter()  # the plugin is about to load the dictionary again (site_tools/search.py)
    offline = next((p for name, p in config["plugins"].items() if name.endswith("offline")), None)
    if offline is not None and offline.config.enabled:
        # before the offline plugin's on_config, which would otherwise add a shim from unpkg.com:
        # Chromium runs no web worker on a file:// page, so search runs in an iframe through ours
        config.extra["polyfills"] = [*config.extra.get("polyfills", []), OFFLINE_WORKER_SHIM]
    return config


def on_startup(command, dirty):
    incremental.startup(dirty)


def on_pre_build(config):
    # MkDocs restores sys.path after importing a hook: put this checkout first again, so that pages
    # import its snippets (not another copy, e.g. an editable install's) and site_tools
    if sys.path[:1] != [str(ROOT)]:
        sys.path.insert(0, str(ROOT))
    linecache.checkcache()  # inspect.getsource (standalone files) must read the files as they are now
    execute.fresh_imports()
    execute.begin(first=i18n.is_first_edition(config))
    execute.register(config)


def _generated_page(config, src_uri: str, content: str, lang: str) -> File:
    """A page made by the build, in the edition ``lang``: ``<path>.md`` at its usual URL, or
    ``<path>.<lang>.md`` under ``<lang>/`` (where mkdocs-static-i18n puts a translated page)."""
    english = File.generated(config, src_uri, content=content)
    twins = {i18n.DEFAULT: english}
    for other in i18n.TRANSLATED:
        twin = File.generated(config, translation(src_uri, other), content=content)
        twin.dest_uri = f"{other}/{english.dest_uri}"
        twin.name = english.name  # "index", so that Material takes a family page as its section's index
        twins[other] = twin
    for twin in twins.values():
        twin.alternates = twins  # what mkdocs-static-i18n's sitemap.xml reads of every page
    return twins[lang]


@event_priority(-200)  # after mkdocs-static-i18n's on_files, which rebuilds every File from its source
def on_files(files, config):
    lang = i18n.build_language(config)
    generated = []
    for family in sorted({term.family for term in TERMS.values()}):
        src_uri = f"{family}/index.md"
        if files.get_file_from_path(src_uri) is None:
            generated.append(_generated_page(config, src_uri, render.family_page(TERMS, family, lang), lang))
    if files.get_file_from_path(render.CHEAT_SHEET) is None:
        generated.append(_generated_page(config, render.CHEAT_SHEET, render.cheat_sheet(TERMS, lang), lang))
    for file in generated:
        files.append(file)
    i18n.register_generated(config, lang, generated)
    # each term's standalone file, published next to its English page: <family>/<slug>/<module>.py
    # (both editions link the one file)
    # (made again only when a file of snippets/ changed: not for the second edition, nor for a page edit)
    STANDALONE.clear()
    key = depends.digest(" ".join([depends.sources_digest("snippets"), *sorted(t.module for t in TERMS.values())]).encode())
    STANDALONE.update(depends.kept("standalone", key, _standalone_files))
    for term in TERMS.values():
        files.append(File.generated(config, render.download_path(term), content=STANDALONE[term.module][0]))
    return files


def _standalone_files() -> dict[str, tuple[str, list[str]]]:
    from snippets._standalone import standalone_definitions, standalone_sources  # imported here: on_pre_build purged it

    sources = standalone_sources(sorted(term.module for term in TERMS.values()))
    return {module: (source, standalone_definitions(module, source)) for module, source in sources.items()}


@event_priority(-100)  # last: the pool's processes are forked with the navigation as the build has it
def on_nav(nav, config, files):
    execute.prefill(files)
    incremental.plan(config, files, {term.page: STANDALONE[term.module][0] for term in TERMS.values()},
                     catalog=repr(sorted(TERMS.items())))
    return nav


def on_pre_page(page, config, files):
    incremental.before_page(page, config, files)
    execute.enter(page)
    return page


@event_priority(200)  # before Material's tags plugin (100) turns what it gathered into listings
def on_env(env, config, files):
    incremental.before_env(config, files)
    return env


@event_priority(-100)  # after the search plugin has indexed the page and the i18n plugin set its links
def on_page_context(context, page, config, nav):
    incremental.converted(page, _search_plugin(config))
    if config.plugins.get("i18n") is not None:
        # the language selector: this page's twin (the plugin sets it as an attribute, which is what
        # the template reads first)
        config.extra.alternate = config.extra["alternate"] = i18n.alternates(page.url)
    return context


def on_build_error(error):
    incremental.failed()
    execute.end(failed=True)


def on_page_markdown(markdown, page, config, files):
    if incremental.replaying():
        return markdown  # a page a dirty build does not convert: what this returns is not used
    lang = i18n.page_language(page.file.src_uri)
    src = i18n.canonical(page.file.src_uri)  # the English page's path: links are written from it
    for marker, generate in MARKERS.items():
        if marker in markdown:
            markdown = markdown.replace(marker, generate(TERMS, src, lang))
    term = TERMS.get(Path(src).stem)
    if term is not None and term.page == src:
        definitions = STANDALONE[term.module][1]
        markdown = render.with_generated_sections(TERMS, term, markdown, definitions, lang)
    return f"{markdown}\n\n{ABBREVIATIONS}\n"


def on_page_content(html, page, config, files):
    execute.leave(page)
    lang = i18n.page_language(page.file.src_uri)
    # a plot's text alternative and caption in the page's language (one block's output serves both)
    html = leave_out_of_index(render_math(localize(html, lang)))
    # an English page marks its Chinese names; a Chinese page is lang="zh" as a whole
    return a11y.mark_chinese(html) if lang == i18n.DEFAULT else html


def on_post_page(output, page, config):
    lang = i18n.build_language(config)
    if config.plugins.get("i18n") is not None:
        output = i18n.without_alternate_links(i18n.search_base(output, lang))
    return lean.squeeze(a11y.name_search_dialog(output, lang))


@event_priority(100)  # before the search plugin's on_post_build, which writes the index
def on_post_build(config):
    incremental.finish()
    execute.end(first=i18n.is_first_edition(config), last=i18n.is_last_edition(config))
    search = _search_plugin(config)
    incremental.merge_search(search)
    if search is None or not getattr(search, "search_index", None):
        return
    index = search.search_index  # Material 9.8's SearchIndex; entries are plain dicts
    separator = re.compile(search.config["separator"])
    url_suffix = "/" if config["use_directory_urls"] else ".html"  # .html: the offline bundle (dev.py bundle)
    lang = i18n.build_language(config)
    terms = {
        i18n.url_in(term.page.removesuffix(".md") + url_suffix, lang): (
            (term.title, *term.aliases, *term.zh), term.misspellings)
        for term in TERMS.values()
    }
    fields = search_fields(terms, vocabulary(index.entries, separator), index._segment_chinese, separator)
    for entry in index.entries:
        entry.update(fields.get(entry["location"], {}))

