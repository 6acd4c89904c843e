"""The glossary's terms, read from the front matter of the term pages.

A term page is ``docs/<family>/<slug>.md``. Its front matter is the single source of truth
for the term's names; the hooks render it on the page and feed it to search, and the tests use
it to keep pages, modules (``snippets/<family>/<slug with _>.py``) and test files in step.
"""

from __future__ import annotations

import ast
import copy
import json
import re
from dataclasses import dataclass
from pathlib import Path

import yaml
from latex2mathml.converter import convert

from site_tools import depends

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"

REQUIRED = ("title", "summary", "formula", "aliases", "zh", "tags", "related")


class CatalogError(ValueError):
    """A term page's front matter is missing something or points at a page that does not exist."""


@dataclass(frozen=True)
class Term:
    slug: str
    family: str
    title: str
    summary: str
    aliases: tuple[str, ...]
    zh: tuple[str, ...]
    related: tuple[str, ...]
    formula: str = ""  # the key formula in LaTeX, for the cheat sheet (rendered to MathML like the rest)
    abbr: tuple[tuple[str, str], ...] = ()  # optional explicit expansions, e.g. (("BCE", "binary cross-entropy"),)
    misspellings: tuple[str, ...] = ()  # optional: indexed for search, not shown on the page
    zh_summary: str = ""  # the Chinese page's summary (docs/<family>/<slug>.zh.md), once it exists

    def title_in(self, lang: str) -> str:
        """The page title in an edition: the Chinese page is titled by the first Chinese name."""
        return self.zh[0] if lang == "zh" else self.title

    def summary_in(self, lang: str) -> str:
        return (self.zh_summary or self.summary) if lang == "zh" else self.summary

    @property
    def names(self) -> tuple[str, ...]:
        """Everything search should map to this term: title, aliases, Chinese names, misspellings."""
        return (self.title, *self.aliases, *self.zh, *self.misspellings)

    @property
    def page(self) -> str:
        """Path of the page relative to docs/, as MkDocs names it."""
        return f"{self.family}/{self.slug}.md"

    @property
    def module(self) -> str:
        """Dotted name of the snippets module that implements the term."""
        return f"snippets.{self.family}.{self.slug.replace('-', '_')}"

    @property
    def test_file(self) -> str:
        return f"tests/{self.family}/test_{self.slug.replace('-', '_')}.py"


def read_front_matter(path: Path) -> dict:
    """Parse the YAML between the leading ``---`` lines of a Markdown file ({} if none)."""
    text = path.read_text(encoding="utf-8")
    if not text.startswith("---\n"):
        return {}
    end = text.find("\n---\n", 4)
    if end == -1:
        raise CatalogError(f"{path}: front matter is not closed by a '---' line")
    return copy.deepcopy(_parse_yaml(text[4:end]))


# front matter text -> what YAML makes of it: parsing 300 pages takes a second, and the build reads
# them in each edition and each of serve's rebuilds
_PARSED: dict[str, dict] = depends.persistent("front matter")


def _parse_yaml(text: str) -> dict:
    if text not in _PARSED:
        _PARSED[text] = yaml.safe_load(text) or {}
    return _PARSED[text]


LANGUAGES = ("en", "zh")  # the site's editions; English is the default, at the root of the site
TRANSLATED = tuple(lang for lang in LANGUAGES if lang != "en")  # their pages: <name>.<lang>.md


def is_term_page(relative: Path) -> bool:
    """docs/<family>/<slug>.md (the English page), excluding section index pages and translations."""
    return len(relative.parts) == 2 and relative.suffix == ".md" and relative.stem != "index" and "." not in relative.stem


def translation(page: Path | str, lang: str) -> str:
    """The docs-relative path of a page's twin in ``lang``: ``a/b.md`` -> ``a/b.zh.md``."""
    page = str(page)
    return page if lang == "en" else f"{page.removesuffix('.md')}.{lang}.md"


def _as_tuple(value, key: str, where: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise CatalogError(f"{where}: '{key}' must be a list of non-empty strings, got {value!r}")
    return tuple(value)


def _as_abbr(value, where: str) -> tuple[tuple[str, str], ...]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and k and v for k, v in value.items()
    ):
        raise CatalogError(f"{where}: 'abbr' must map abbreviations to their expansions, got {value!r}")
    return tuple(value.items())


def _formula(value, where: str) -> str:
    """The ``formula:`` field: one line of LaTeX that latex2mathml converts (checked here, so a bad
    formula fails the build with the page's name instead of breaking the cheat sheet)."""
    if not isinstance(value, str) or not value.strip() or "\n" in value.strip():
        raise CatalogError(f"{where}: 'formula' must be one line of LaTeX, got {value!r}")
    if "$" in value or "\\[" in value or "\\(" in value:
        raise CatalogError(f"{where}: 'formula' is LaTeX without delimiters ($, \\( or \\[), got {value!r}")
    try:
        convert(value)
    except Exception as error:  # latex2mathml raises its own exception types
        raise CatalogError(f"{where}: 'formula' does not convert to MathML: {error}") from error
    return value.strip()


def _zh_summary(path: Path) -> str:
    """The ``summary`` of a term's Chinese page ("" while there is none; tests/test_zh_parity.py
    fails for a term without one)."""
    if not path.is_file():
        return ""
    summary = read_front_matter(path).get("summary", "")
    if not isinstance(summary, str) or "\n" in summary.strip():
        raise CatalogError(f"docs/{path.parent.name}/{path.name}: 'summary' must be one line, got {summary!r}")
    return summary.strip()


def load_terms(docs: Path = DOCS) -> dict[str, Term]:
    """Every term page under ``docs``, keyed by slug, with its front matter checked."""
    terms: dict[str, Term] = {}
    for path in sorted(docs.rglob("*.md")):
        relative = path.relative_to(docs)
        if not is_term_page(relative):
            continue
        where = f"docs/{relative.as_posix()}"
        meta = read_front_matter(path)
        missing = [key for key in REQUIRED if key not in meta]
        if missing:
            raise CatalogError(f"{where}: front matter lacks {', '.join(missing)}")
        family, slug = relative.parts[0], relative.stem
        tags = _as_tuple(meta["tags"], "tags", where)
        if tags != (family,):
            raise CatalogError(f"{where}: tags must be [{family}] (the family folder), got {list(tags)}")
        if slug in terms:
            raise CatalogError(f"{where}: slug '{slug}' is used twice")
        terms[slug] = Term(
            slug=slug,
            family=family,
            title=str(meta["title"]),
            summary=str(meta["summary"]),
            formula=_formula(meta["formula"], where),
            aliases=_as_tuple(meta["aliases"], "aliases", where),
            zh=_as_tuple(meta["zh"], "zh", where),
            related=tuple(meta["related"] or ()),
            abbr=_as_abbr(meta.get("abbr", {}), where),
            misspellings=_as_tuple(meta.get("misspellings", []), "misspellings", where) if meta.get("misspellings") else (),
            zh_summary=_zh_summary(path.with_suffix(".zh.md")),
        )
    for term in terms.values():
        unknown = [slug for slug in term.related if slug not in terms]
        if unknown:
            raise CatalogError(f"docs/{term.page}: related lists unknown slug(s) {unknown}")
        if term.slug in term.related:
            raise CatalogError(f"docs/{term.page}: a term cannot be related to itself")
    return terms


def current_terms(docs: Path = DOCS) -> dict[str, Term]:
    """:func:`load_terms`, read again only when a page under ``docs`` changed (the build asks for
    the catalog in each edition and each rebuild of ``serve``; parsing 300 front matters is seconds)."""
    return dict(depends.kept("terms", depends.tree_digest(docs, "*.md"), lambda: load_terms(docs)))


ABBREVIATION = re.compile(r"^(?=(?:[^A-Z]*[A-Z]){2})[A-Za-z0-9]{2,8}$")  # CE, BCE, ReLU, LSTM, AdamW


def abbreviations(terms: dict[str, Term]) -> dict[str, str]:
    """Every abbreviation among the aliases (or in ``abbr:``), mapped to what it stands for.

    An alias counts as an abbreviation when it is 2-8 letters/digits with at least two capitals.
    Its expansion is the term's ``abbr:`` entry if given, else the title, else (when the title is
    the abbreviation itself) the first alias that is not an abbreviation.
    """
    found: dict[str, str] = {}
    for term in sorted(terms.values(), key=lambda t: t.slug):
        explicit = dict(term.abbr)
        spelled = [a for a in (term.title, *term.aliases) if not ABBREVIATION.match(a)]
        for alias in (*term.aliases, *explicit):
            if not ABBREVIATION.match(alias) and alias not in explicit:
                continue
            expansion = explicit.get(alias) or (term.title if term.title != alias else None)
            expansion = expansion or (spelled[0] if spelled else None)
            if expansion and alias not in found:
                found[alias] = expansion
    return found


def family_description(family: str, root: Path = ROOT) -> str:
    """The first line of ``snippets/<family>/__init__.py``'s docstring (read, not imported)."""
    init = root / "snippets" / family / "__init__.py"
    if not init.is_file():
        return ""
    doc = ast.get_docstring(ast.parse(init.read_text(encoding="utf-8"))) or ""
    return doc.strip().splitlines()[0] if doc.strip() else ""


PACKAGE_CATALOG = ROOT / "snippets" / "catalog.json"


def package_catalog(terms: dict[str, Term]) -> str:
    """The names data the installed package needs (``python -m snippets``), as JSON text.

    The pages' front matter is the source; ``snippets/catalog.json`` is this function's output,
    regenerated with ``python -m site_tools.catalog`` and checked by tests/test_catalog.py.
    """
    entries = [
        {
            "slug": t.slug,
            "family": t.family,
            "module": t.module,
            "title": t.title,
            "summary": t.summary,
            "aliases": list(t.aliases),
            "zh": list(t.zh),
            "misspellings": list(t.misspellings),
            "related": list(t.related),
        }
        for t in sorted(terms.values(), key=lambda t: t.slug)
    ]
    return json.dumps({"terms": entries}, ensure_ascii=False, indent=1) + "\n"


def jieba_user_dict(terms: dict[str, Term]) -> str:
    """A jieba user dictionary (one ``word freq`` per line) that keeps each Chinese name whole."""
    words = sorted({name.replace(" ", "") for term in terms.values() for name in term.zh})
    # a high frequency makes jieba prefer the whole term over its parts (交叉熵, not 交叉 + 熵)
    return "".join(f"{word} 100000\n" for word in words)


if __name__ == "__main__":
    PACKAGE_CATALOG.write_text(package_catalog(load_terms()), encoding="utf-8")
    print(f"wrote {PACKAGE_CATALOG.relative_to(ROOT)}")
