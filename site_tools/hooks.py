"""MkDocs hooks (registered in mkdocs.yml). What each event does:

- import time: put this checkout first on ``sys.path``, so executed blocks import the
  ``snippets`` package and ``site_tools`` from the working tree being built;
- ``on_config``: read the term catalog (front matter of docs/<family>/<slug>.md), fail the
  build on a missing field or an unknown related slug, and hand search a jieba user dictionary
  generated from the Chinese names so that e.g. 交叉熵 stays one word;
- ``on_pre_build``: forget every imported ``snippets`` module, so ``mkdocs serve`` executes the
  code as it is now on disk, not as it was when the server started;
- ``on_page_markdown``: give each term page its header (title, aliases, Chinese names) and its
  generated "Related terms" section;
- ``on_page_content``: turn LaTeX into MathML.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from mkdocs.exceptions import PluginError  # noqa: E402
from mkdocs.plugins import event_priority  # noqa: E402

from site_tools.catalog import CatalogError, Term, jieba_user_dict, load_terms  # noqa: E402
from site_tools.mathml import render_math  # noqa: E402

TERMS: dict[str, Term] = {}


@event_priority(100)  # before the search plugin's on_config, which loads the jieba dictionary
def on_config(config):
    global TERMS
    try:
        TERMS = load_terms(Path(config["docs_dir"]))
    except CatalogError as error:
        raise PluginError(str(error)) from error
    dictionary = Path(tempfile.gettempdir()) / "dl-glossary-jieba-user-dict.txt"
    dictionary.write_text(jieba_user_dict(TERMS), encoding="utf-8")
    for name, plugin in config["plugins"].items():
        if name.endswith("search"):
            plugin.config["jieba_dict_user"] = str(dictionary)
    return config


def on_pre_build(config):
    for name in [m for m in sys.modules if m == "snippets" or m.startswith("snippets.")]:
        del sys.modules[name]


def _header(term: Term) -> str:
    parts = []
    if term.aliases:
        parts.append("**Also known as** " + ", ".join(term.aliases))
    parts.append("**中文**：" + "、".join(term.zh))
    return f"# {term.title}\n\n{' · '.join(parts)}\n{{: .gl-names }}\n\n"


def _related(term: Term, page) -> str:
    if not term.related:
        return ""
    lines = ["## Related terms", ""]
    for slug in term.related:
        other = TERMS[slug]
        # a link relative to this page, which MkDocs checks (and --strict fails on) like any other
        href = "../" * (len(Path(term.page).parts) - 1) + other.page
        lines.append(f"- [{other.title}]({href}) — {other.summary}")
    return "\n".join(lines) + "\n\n"


TERM_LIST_MARKER = "<!-- glossary:terms -->"


def _term_table(page) -> str:
    """All terms, A-Z, as a Markdown table with links relative to ``page``."""
    up = "../" * (len(Path(page.file.src_uri).parts) - 1)
    rows = ["| Term | 中文 | Family | In one line |", "| --- | --- | --- | --- |"]
    for term in sorted(TERMS.values(), key=lambda t: t.title.casefold()):
        rows.append(
            f"| [{term.title}]({up}{term.page}) | {'、'.join(term.zh)} | {term.family} | {term.summary} |"
        )
    return "\n".join(rows)


def on_page_markdown(markdown, page, config, files):
    if TERM_LIST_MARKER in markdown:
        return markdown.replace(TERM_LIST_MARKER, _term_table(page))
    term = TERMS.get(Path(page.file.src_uri).stem)
    if term is None or term.page != page.file.src_uri:
        return markdown
    related = _related(term, page)
    # "Related terms" goes just before the References section, or at the end
    marker = "\n## References"
    if marker in markdown:
        head, tail = markdown.split(marker, 1)
        body = f"{head}\n{related}{marker.lstrip()}{tail}"
    else:
        body = f"{markdown}\n\n{related}"
    return _header(term) + body


def on_page_content(html, page, config, files):
    return render_math(html)
