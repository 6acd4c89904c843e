"""Markdown generated from the term catalog: names line, related terms, A-Z index, family pages,
abbreviation definitions. Pure functions of the catalog, so tests can call them directly.

Links are written as relative Markdown links to the pages' source files; MkDocs resolves them and
(with ``strict: true``) fails the build on any that points nowhere.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from pathlib import Path, PurePosixPath

from site_tools.catalog import ROOT, Term, abbreviations, family_description
from site_tools.i18n import FAMILIES_ZH, initial, pinyin_key
from site_tools.search import SEARCH_EXCLUDED_HEADING

INCLUDE = re.compile(r'--8<-- "([^":]+\.py):([^"]+)"')


def shown_definitions(markdown: str, root: Path = ROOT) -> set[str]:
    """Functions and classes whose source a page shows through ``--8<-- "file.py:section"``."""
    shown: set[str] = set()
    for path, section in INCLUDE.findall(markdown):
        lines = (root / path).read_text(encoding="utf-8").splitlines()
        start = lines.index(f"# --8<-- [start:{section}]")
        end = lines.index(f"# --8<-- [end:{section}]", start)
        body = "\n".join(lines[start + 1 : end])
        shown |= {
            node.name for node in ast.parse(body).body if isinstance(node, (ast.FunctionDef, ast.ClassDef))
        }
    return shown


def link(from_page: str, to_page: str) -> str:
    """Relative path from one docs/ page to another (both as docs-relative source paths)."""
    depth = len(PurePosixPath(from_page).parts) - 1
    return "../" * depth + to_page


def family_title(family: str, lang: str = "en") -> str:
    if lang == "zh":
        return FAMILIES_ZH[family][0]
    return family.replace("-", " ").capitalize()


def family_blurb(family: str, lang: str = "en") -> str:
    return FAMILIES_ZH[family][1] if lang == "zh" else family_description(family)


def header(term: Term, lang: str = "en") -> str:
    """The title and the names line that opens every term page."""
    parts = []
    if lang == "zh":
        parts.append("**英文**：" + ", ".join((term.title, *term.aliases)))
        if term.zh[1:]:
            parts.append("**又称**：" + "、".join(term.zh[1:]))
    else:
        if term.aliases:
            parts.append("**Also known as** " + ", ".join(term.aliases))
        parts.append("**中文**：" + "、".join(term.zh))
    return f"# {term.title_in(lang)}\n\n{' · '.join(parts)}\n{{: .gl-names }}\n\n"


def related_section(terms: dict[str, Term], term: Term, lang: str = "en") -> str:
    if not term.related:
        return ""
    heading = "相关术语 {#related-terms" + SEARCH_EXCLUDED_HEADING[2:] if lang == "zh" else f"Related terms {SEARCH_EXCLUDED_HEADING}"
    lines = [f"## {heading}", ""]
    for slug in term.related:
        other = terms[slug]
        dash = "——" if lang == "zh" else " — "  # the Chinese dash is two em dashes, unspaced
        lines.append(f"- [{other.title_in(lang)}]({link(term.page, other.page)}){dash}{other.summary_in(lang)}")
    return "\n".join(lines) + "\n\n"


def download_path(term: Term) -> str:
    """Where a term's standalone file is published, relative to docs/: next to the page's URL."""
    return f"{term.family}/{term.slug}/{term.module.rsplit('.', 1)[1]}.py"


DOWNLOAD_TEXT = {
    "en": {
        "title": "Copying this code", "label": "Download", "joiner": ", ",
        "helpers": "The blocks below also call {needs}, not shown here. **{link}**: this term's code with "
                   "every helper included, numpy only, ready to drop into a project.",
        "alone": "The blocks below need only numpy. **{link}**: all of this term's code in one file.",
    },
    "zh": {
        "title": "复制这段代码", "label": "下载", "joiner": "、",
        "helpers": "下面的代码块还调用了 {needs}，本页没有列出。**{link}**：本术语的全部代码连同这些辅助函数，"
                   "只依赖 numpy，可以直接放进你的项目。",
        "alone": "下面的代码块只需要 numpy。**{link}**：本术语的全部代码，一个文件。",
    },
}


def download_line(term: Term, helpers: list[str], lang: str = "en") -> str:
    """The line under "Implementation" that says what a copied block needs and links the file.

    ``helpers`` are the definitions the standalone file has and the page does not show."""
    text = DOWNLOAD_TEXT[lang]
    filename = download_path(term).rsplit("/", 1)[1]
    link_md = f'[{text["label"]} {filename}]({link(term.page, download_path(term))}){{: download="{filename}" }}'
    needs = text["joiner"].join(f"`{name}`" for name in helpers)
    line = (text["helpers"] if helpers else text["alone"]).format(needs=needs, link=link_md)
    return f'!!! tip "{text["title"]}"\n    {line}\n'


def _heading(section_id: str, english: str) -> re.Pattern:
    """A ## heading line: the English text, or any text with ``{#section_id}`` (a translation)."""
    return re.compile(rf"^## (?:{re.escape(english)}|[^\n]*\{{#{section_id}\}})[ \t]*$", re.M)


IMPLEMENTATION = _heading("implementation", "Implementation")
REFERENCES = _heading("references", "References")


def with_generated_sections(
    terms: dict[str, Term], term: Term, markdown: str, standalone: list[str], lang: str = "en"
) -> str:
    """A term page's Markdown with its header on top, the download line under "Implementation",
    and "Related terms" before "References". ``standalone`` lists what the term's standalone
    file defines; whatever of it the page does not show is named in the download line."""
    implementation = IMPLEMENTATION.search(markdown)
    if implementation:
        shown = shown_definitions(markdown)
        helpers = [name for name in standalone if name not in shown]
        end = implementation.end()
        markdown = f"{markdown[:end]}\n\n{download_line(term, helpers, lang)}{markdown[end:]}"
    related = related_section(terms, term, lang)
    references = REFERENCES.search(markdown)
    if references:
        start = references.start()
        body = f"{markdown[:start]}{related}{markdown[start:]}"
    else:
        body = f"{markdown}\n\n{related}"
    return header(term, lang) + body


def _row(term: Term, from_page: str, family: bool = True, lang: str = "en") -> str:
    if lang == "zh":  # the Chinese name leads, the other Chinese names and the English one follow
        cells = [f"[{term.title_in(lang)}]({link(from_page, term.page)})", "、".join(term.zh[1:]) or "—", term.title]
    else:
        cells = [f"[{term.title}]({link(from_page, term.page)})", "、".join(term.zh)]
    if family:
        cells.append(f"[{family_title(term.family, lang)}]({link(from_page, term.family + '/index.md')})")
    cells.append(term.summary_in(lang))
    return "| " + " | ".join(cells) + " |"


def _order(lang: str):
    """Terms in an edition's reading order: A-Z by English title, or by the pinyin of the Chinese one."""
    return (lambda t: pinyin_key(t.title_in("zh"))) if lang == "zh" else (lambda t: t.title.casefold())


def _columns(lang: str, family: bool) -> str:
    names = ["术语", "又称", "English"] if lang == "zh" else ["Term", "中文"]
    names += (["术语族"] if lang == "zh" else ["Family"]) if family else []
    names.append("一句话" if lang == "zh" else "In one line")
    return "| " + " | ".join(names) + " |\n|" + " --- |" * len(names)


def a_to_z(terms: dict[str, Term], from_page: str, lang: str = "en") -> str:
    """Every term under its initial letter, each with its other names, family and summary. In
    Chinese the letter is the initial of the Chinese name's pinyin (or its Latin first letter)."""
    by_letter: dict[str, list[Term]] = defaultdict(list)
    for term in terms.values():
        if lang == "zh":
            letter = initial(term.title_in(lang))
        else:
            letter = term.title[:1].upper()
            letter = letter if letter.isascii() and letter.isalpha() else "#"
        by_letter[letter].append(term)
    letters = sorted(by_letter)
    out = [" · ".join(f"[{letter}](#{'other' if letter == '#' else letter.lower()})" for letter in letters), ""]
    for letter in letters:
        anchor = "other" if letter == "#" else letter.lower()
        # "\#": a bare "#" would be read as the heading's closing sequence, leaving it empty (and its
        # table-of-contents link without a name)
        label = "\\#" if letter == "#" else letter
        out += [f"## {label} {{#{anchor}}}", "", _columns(lang, family=True)]
        out += [_row(t, from_page, lang=lang) for t in sorted(by_letter[letter], key=_order(lang))]
        out.append("")
    return "\n".join(out)


def families_overview(terms: dict[str, Term], from_page: str, lang: str = "en") -> str:
    """One line per family: link, number of terms, description."""
    counts: dict[str, int] = defaultdict(int)
    for term in terms.values():
        counts[term.family] += 1
    lines = []
    for family in sorted(counts):
        n = counts[family]
        target = link(from_page, family + "/index.md")
        if lang == "zh":
            lines.append(f"- [{family_title(family, lang)}]({target})（{n} 个术语）——{family_blurb(family, lang)}")
        else:
            lines.append(
                f"- [{family_title(family)}]({target}) "
                f"({n} term{'s' if n != 1 else ''}) — {family_description(family)}"
            )
    return "\n".join(lines)


def family_page(terms: dict[str, Term], family: str, lang: str = "en") -> str:
    """The generated ``docs/<family>/index.md`` (or ``index.zh.md``): a description and the family's
    terms, A-Z (in Chinese: by pinyin)."""
    page = f"{family}/index.md"
    members = sorted((t for t in terms.values() if t.family == family), key=_order(lang))
    footer = (f"全部术语：[术语索引]({link(page, 'a-z.md')})。" if lang == "zh"
              else f"All families: [A–Z index]({link(page, 'a-z.md')}).")
    lines = [
        "---",
        f"title: {family_title(family, lang)}",
        "---",
        "",
        f"# {family_title(family, lang)}",
        "",
        family_blurb(family, lang),
        "",
        _columns(lang, family=False),
        *[_row(t, page, family=False, lang=lang) for t in members],
        "",
        footer,
        "",
    ]
    return "\n".join(lines)


def abbreviation_definitions(terms: dict[str, Term]) -> str:
    """``*[CE]: Cross-entropy`` lines for Markdown's abbr extension (hover tooltips)."""
    return "\n".join(f"*[{abbr}]: {expansion}" for abbr, expansion in sorted(abbreviations(terms).items()))


# The 2016 "Deep Learning Cheat Sheet" (Camron Godbout, Hacker Noon, 2016) explained these
# entries, in this order: Gradient, Back Propagation, Sigmoid, ReLU, Tanh, Softmax, LSTM/GRU,
# L1 and L2 Regularization, Drop out, Batch Normalization, Objective Functions, F1/F Score,
# Cross Entropy. Their pages here:
ORIGINAL_CHEAT_SHEET = (
    "gradient", "backpropagation", "sigmoid", "relu", "tanh", "softmax", "lstm", "gru",
    "l1-regularization", "l2-regularization", "dropout", "batch-normalization", "loss-function",
    "f1-score", "cross-entropy",
)
CHEAT_SHEET = "cheat-sheet.md"


def card(term: Term, from_page: str, lang: str = "en") -> str:
    """One term on the cheat sheet: title (linked), its name in the other language, key formula,
    one-line summary."""
    other = f'<span class="gl-card__zh" lang="zh-Hans">{term.zh[0]}</span>' if lang == "en" else (
        f'<span class="gl-card__zh" lang="en">{term.title}</span>')
    # "<" as \lt: inside the card's HTML block, "y_{<t}" reads as the start of a tag to Markdown's
    # HTML parser, which then swallows the rest of the sheet
    formula = term.formula.replace("<", r"\lt ").replace(">", r"\gt ")
    return "\n".join([
        '<div class="gl-card" markdown="1">',
        f'[{term.title_in(lang)}]({link(from_page, term.page)}){{: .gl-card__title }} {other}',
        "",
        f"\\({formula}\\)",
        '{: .gl-card__formula }',
        "",
        term.summary_in(lang),
        '{: .gl-card__summary }',
        "",
        "</div>",
    ])


CHEAT_SHEET_TEXT = {
    "en": {
        "title": "Cheat sheet",
        "intro": "All {n} terms of the glossary on one sheet, each with its Chinese name, its key "
        "formula and what it is in one line; a title leads to the term's page, with the code, the "
        "derivation and the pitfalls. Printed (A4), the sheet hides the site's header and navigation "
        "and keeps every card whole; the offline bundle (`python3 dev.py bundle`) includes it as a PDF.",
        "first": "The 2016 cheat sheet",
        "first_note": "The terms of the *Deep Learning Cheat Sheet* (Camron Godbout, 2016) that this "
        "glossary grew from, in that sheet's order.",
    },
    "zh": {
        "title": "速查表",
        "intro": "术语表的全部 {n} 个术语都在这一页上：每张卡片给出术语的英文名、关键公式和一句话解释；"
        "点击标题即可进入术语页面，查看代码、推导和常见陷阱。按 A4 打印时，页面会隐藏网站的页眉和导航，"
        "并保证每张卡片不被拆开；离线包（`python3 dev.py bundle`）里附有它的 PDF 版本。",
        "first": "2016 年的速查表",
        "first_note": "本术语表源自 Camron Godbout 2016 年的《Deep Learning Cheat Sheet》（深度学习速查表），"
        "这里按原表的顺序列出其中的术语。",
    },
}


def cheat_sheet(terms: dict[str, Term], lang: str = "en") -> str:
    """The generated ``docs/cheat-sheet.md``: every term as a card, the 2016 sheet's terms first
    (in that sheet's order), then the other terms by family, A-Z. The cards stay out of the search
    index: their summaries are each term page's own, and the term page must be the hit."""
    page = CHEAT_SHEET
    text = CHEAT_SHEET_TEXT[lang]
    first = [terms[slug] for slug in ORIGINAL_CHEAT_SHEET if slug in terms]  # all 15 (tested); a test site has fewer
    rest: dict[str, list[Term]] = defaultdict(list)
    for term in sorted(terms.values(), key=_order(lang)):
        if term.slug not in ORIGINAL_CHEAT_SHEET:
            rest[term.family].append(term)

    def group(heading: str, anchor: str, members: list[Term], note: str = "") -> list[str]:
        # the cards' div carries the group's anchor as a class too: the print stylesheet ends the
        # 2016 group's page after it
        return [
            f"## {heading} {{: #{anchor} data-search-exclude }}",
            "",
            *([note, ""] if note else []),
            f'<div class="gl-cards gl-cards--{anchor}" data-search-exclude markdown="1">',
            "",
            *[card(t, page, lang) + "\n" for t in members],
            "</div>",
            "",
        ]

    lines = [
        "---",
        f"title: {text['title']}",
        "hide: [navigation]",
        "---",
        "",
        f"# {text['title']}",
        "",
        text["intro"].format(n=len(terms)),
        "",
    ]
    if first:
        lines += group(text["first"], "cheat-sheet-2016", first, text["first_note"])
    for family in sorted(rest):
        lines += group(family_title(family, lang), family, rest[family])
    return "\n".join(lines)
