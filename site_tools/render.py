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


def family_title(family: str) -> str:
    return family.replace("-", " ").capitalize()


def header(term: Term) -> str:
    """The title and the names line that opens every term page."""
    parts = []
    if term.aliases:
        parts.append("**Also known as** " + ", ".join(term.aliases))
    parts.append("**中文**：" + "、".join(term.zh))
    return f"# {term.title}\n\n{' · '.join(parts)}\n{{: .gl-names }}\n\n"


def related_section(terms: dict[str, Term], term: Term) -> str:
    if not term.related:
        return ""
    lines = [f"## Related terms {SEARCH_EXCLUDED_HEADING}", ""]
    for slug in term.related:
        other = terms[slug]
        lines.append(f"- [{other.title}]({link(term.page, other.page)}) — {other.summary}")
    return "\n".join(lines) + "\n\n"


def download_path(term: Term) -> str:
    """Where a term's standalone file is published, relative to docs/: next to the page's URL."""
    return f"{term.family}/{term.slug}/{term.module.rsplit('.', 1)[1]}.py"


def download_line(term: Term, helpers: list[str]) -> str:
    """The line under "Implementation" that says what a copied block needs and links the file.

    ``helpers`` are the definitions the standalone file has and the page does not show."""
    filename = download_path(term).rsplit("/", 1)[1]
    link_md = f'[Download {filename}]({link(term.page, download_path(term))}){{: download="{filename}" }}'
    if helpers:
        needs = ", ".join(f"`{name}`" for name in helpers)
        text = (f"The blocks below also call {needs}, not shown here. **{link_md}**: this term's "
                "code with every helper included, numpy only, ready to drop into a project.")
    else:
        text = f"The blocks below need only numpy. **{link_md}**: all of this term's code in one file."
    return f'!!! tip "Copying this code"\n    {text}\n'


def with_generated_sections(
    terms: dict[str, Term], term: Term, markdown: str, standalone: list[str]
) -> str:
    """A term page's Markdown with its header on top, the download line under "Implementation",
    and "Related terms" before "References". ``standalone`` lists what the term's standalone
    file defines; whatever of it the page does not show is named in the download line."""
    implementation = "\n## Implementation\n"
    if implementation in markdown:
        shown = shown_definitions(markdown)
        helpers = [name for name in standalone if name not in shown]
        markdown = markdown.replace(implementation, f"{implementation}\n{download_line(term, helpers)}\n", 1)
    related = related_section(terms, term)
    marker = "\n## References"
    if marker in markdown:
        head, tail = markdown.split(marker, 1)
        body = f"{head}\n{related}{marker.lstrip()}{tail}"
    else:
        body = f"{markdown}\n\n{related}"
    return header(term) + body


def _row(term: Term, from_page: str, family: bool = True) -> str:
    cells = [f"[{term.title}]({link(from_page, term.page)})", "、".join(term.zh)]
    if family:
        cells.append(f"[{family_title(term.family)}]({link(from_page, term.family + '/index.md')})")
    cells.append(term.summary)
    return "| " + " | ".join(cells) + " |"


def a_to_z(terms: dict[str, Term], from_page: str) -> str:
    """Every term under its initial letter, each with its Chinese name, family and summary."""
    by_letter: dict[str, list[Term]] = defaultdict(list)
    for term in terms.values():
        initial = term.title[:1].upper()
        by_letter[initial if initial.isascii() and initial.isalpha() else "#"].append(term)
    letters = sorted(by_letter)
    out = [" · ".join(f"[{letter}](#{'other' if letter == '#' else letter.lower()})" for letter in letters), ""]
    for letter in letters:
        anchor = "other" if letter == "#" else letter.lower()
        out += [f"## {letter} {{#{anchor}}}", "", "| Term | 中文 | Family | In one line |", "| --- | --- | --- | --- |"]
        out += [_row(t, from_page) for t in sorted(by_letter[letter], key=lambda t: t.title.casefold())]
        out.append("")
    return "\n".join(out)


def families_overview(terms: dict[str, Term], from_page: str) -> str:
    """One line per family: link, number of terms, description."""
    counts: dict[str, int] = defaultdict(int)
    for term in terms.values():
        counts[term.family] += 1
    lines = []
    for family in sorted(counts):
        n = counts[family]
        lines.append(
            f"- [{family_title(family)}]({link(from_page, family + '/index.md')}) "
            f"({n} term{'s' if n != 1 else ''}) — {family_description(family)}"
        )
    return "\n".join(lines)


def family_page(terms: dict[str, Term], family: str) -> str:
    """The generated ``docs/<family>/index.md``: a description and the family's terms A-Z."""
    page = f"{family}/index.md"
    members = sorted((t for t in terms.values() if t.family == family), key=lambda t: t.title.casefold())
    lines = [
        "---",
        f"title: {family_title(family)}",
        "---",
        "",
        f"# {family_title(family)}",
        "",
        family_description(family),
        "",
        "| Term | 中文 | In one line |",
        "| --- | --- | --- |",
        *[_row(t, page, family=False) for t in members],
        "",
        f"All families: [A–Z index]({link(page, 'a-z.md')}).",
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


def card(term: Term, from_page: str) -> str:
    """One term on the cheat sheet: title (linked), Chinese name, key formula, one-line summary."""
    return "\n".join([
        '<div class="gl-card" markdown="1">',
        f'[{term.title}]({link(from_page, term.page)}){{: .gl-card__title }} '
        f'<span class="gl-card__zh" lang="zh-Hans">{term.zh[0]}</span>',
        "",
        f"\\({term.formula}\\)",
        '{: .gl-card__formula }',
        "",
        term.summary,
        '{: .gl-card__summary }',
        "",
        "</div>",
    ])


def cheat_sheet(terms: dict[str, Term]) -> str:
    """The generated ``docs/cheat-sheet.md``: every term as a card, the 2016 sheet's terms first
    (in that sheet's order), then the other terms by family, A-Z. The cards stay out of the search
    index: their summaries are each term page's own, and the term page must be the hit."""
    page = CHEAT_SHEET
    first = [terms[slug] for slug in ORIGINAL_CHEAT_SHEET if slug in terms]  # all 15 (tested); a test site has fewer
    rest: dict[str, list[Term]] = defaultdict(list)
    for term in sorted(terms.values(), key=lambda t: t.title.casefold()):
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
            *[card(t, page) + "\n" for t in members],
            "</div>",
            "",
        ]

    lines = [
        "---",
        "title: Cheat sheet",
        "hide: [navigation]",
        "---",
        "",
        "# Cheat sheet",
        "",
        f"All {len(terms)} terms of the glossary on one sheet, each with its Chinese name, its key "
        "formula and what it is in one line; a title leads to the term's page, with the code, the "
        "derivation and the pitfalls. Printed (A4), the sheet hides the site's header and navigation "
        "and keeps every card whole; the offline bundle (`python3 dev.py bundle`) includes it as a PDF.",
        "",
    ]
    if first:
        lines += group(
            "The 2016 cheat sheet", "cheat-sheet-2016", first,
            "The terms of the *Deep Learning Cheat Sheet* (Camron Godbout, 2016) that this glossary "
            "grew from, in that sheet's order.",
        )
    for family in sorted(rest):
        lines += group(family_title(family), family, rest[family])
    return "\n".join(lines)
