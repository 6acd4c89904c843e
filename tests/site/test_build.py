"""What a reader gets from the strict build: executed output, plots, MathML, nothing external."""

from __future__ import annotations

import json
import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin

import pytest

from site_tools.catalog import load_terms

pytestmark = pytest.mark.site

TERMS = load_terms()


class PageScan(HTMLParser):
    """Collects ids, resource URLs, text and the pieces of a term page the tests look at."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.ids: list[str] = []
        self.resources: list[str] = []  # URLs the browser would fetch on its own
        self.svgs: list[dict] = []
        self.results = 0
        self.maths = 0
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if "id" in a:
            self.ids.append(a["id"])
        if tag in {"script", "img", "iframe", "source", "audio", "video", "embed"} and a.get("src"):
            self.resources.append(a["src"])
        if tag == "link" and a.get("href") and a.get("rel") in {"stylesheet", "preload", "icon", "modulepreload"}:
            self.resources.append(a["href"])
        if tag == "svg" and "gl-plot" in (a.get("class") or ""):
            self.svgs.append(a)
        if tag == "div" and a.get("class") == "result":
            self.results += 1
        if tag == "math":
            self.maths += 1

    def handle_data(self, data):
        self.text.append(data)


def scan(path: Path) -> PageScan:
    parser = PageScan()
    parser.feed(path.read_text(encoding="utf-8"))
    return parser


def term_page(site: Path, slug: str) -> Path:
    return site / TERMS[slug].page.removesuffix(".md") / "index.html"


def html_pages(site: Path) -> list[Path]:
    return sorted(site.rglob("*.html"))


def is_external(url: str) -> bool:
    return bool(re.match(r"(?i)^(https?:)?//", url.strip()))


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_term_page_has_output_plot_and_math(site: Path, slug: str) -> None:
    page = scan(term_page(site, slug))
    assert page.results >= 2, "expected a worked example and a live check with executed output"
    assert page.svgs, "expected at least one inline SVG plot"
    for svg in page.svgs:
        assert svg.get("role") == "img" and svg.get("aria-label"), svg
    assert page.maths >= 3, "expected the formulas as MathML"
    text = "".join(page.text)
    # the names from front matter are on the page (search indexes them from there)
    for name in (*TERMS[slug].aliases, *TERMS[slug].zh):
        assert name in text, f"{name!r} is not shown on the page"
    # no LaTeX left unconverted
    assert "\\(" not in text and "\\[" not in text


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_live_checks_printed_small_errors(site: Path, slug: str) -> None:
    """A live check prints lines 'max |a - b| = X' at build time; every X it printed is tiny.

    (a - b) compares the tested code with an independent route: finite differences, a closed
    form, a hand count, a reference formula.
    """
    text = "".join(scan(term_page(site, slug)).text)
    values = [float(v) for v in re.findall(r"max \|[^|\n]+\|\s*=\s*([-+0-9.eE]+)", text)]
    assert values, "the page prints no live check of the form 'max |a - b| = X'"
    assert max(values) < 1e-6, values


def test_no_traceback_and_no_duplicate_ids_anywhere(site: Path) -> None:
    for path in html_pages(site):
        html = path.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" not in html, path
        duplicates = [i for i, n in Counter(scan(path).ids).items() if n > 1]
        assert duplicates == [], f"{path.relative_to(site)}: duplicate ids {duplicates}"


def test_nothing_is_fetched_from_another_host(site: Path) -> None:
    for path in html_pages(site):
        external = [url for url in scan(path).resources if is_external(url)]
        assert external == [], f"{path.relative_to(site)} loads {external}"
    for css in site.rglob("*.css"):
        text = css.read_text(encoding="utf-8")
        urls = re.findall(r"url\(\s*['\"]?([^'\")]+)", text) + re.findall(r"@import\s+['\"]([^'\"]+)", text)
        external = [url for url in urls if is_external(url)]
        assert external == [], f"{css.relative_to(site)} references {external}"


def test_every_term_is_two_links_from_the_home_page(site: Path) -> None:
    # the navigation shows only the current family (navigation.prune): terms are reached through
    # the A-Z index and the family pages, both linked from the home page
    home = (site / "index.html").read_text(encoding="utf-8")
    a_to_z = (site / "a-z" / "index.html").read_text(encoding="utf-8")
    assert 'href="a-z/"' in home
    for family in {term.family for term in TERMS.values()}:
        assert f'href="{family}/"' in home, family
    for term in TERMS.values():
        assert f'href="../{term.page.removesuffix(".md")}/"' in a_to_z, term.slug
        family_page = (site / term.family / "index.html").read_text(encoding="utf-8")
        assert f'href="{term.slug}/"' in family_page, term.slug
        assert f'href="{term.page.removesuffix(".md")}/"' not in home, term.slug  # the nav is pruned


def test_related_terms_are_links(site: Path) -> None:
    for term in TERMS.values():
        html = term_page(site, term.slug).read_text(encoding="utf-8")
        section = html.split('id="related-terms"', 1)[1].split("</ul>", 1)[0]
        base = "/" + term.page.removesuffix(".md") + "/"
        targets = [urljoin(base, href) for href in re.findall(r'<a href="([^"]+)"', section)]
        assert targets == ["/" + TERMS[other].page.removesuffix(".md") + "/" for other in term.related]


def test_plots_are_reproducible_and_themable(site: Path) -> None:
    html = term_page(site, "sigmoid").read_text(encoding="utf-8")
    svg = re.search(r"<svg [^>]*class=\"gl-plot\".*?</svg>", html, re.S).group(0)
    assert "<style" not in svg and "<metadata" not in svg and "dc:date" not in svg
    assert "currentColor" in svg and "var(--gl-plot-1)" in svg


def test_chinese_search_index_is_segmented(site: Path) -> None:
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    text = "".join(doc["title"] + doc["text"] for doc in docs)
    # jieba joins words with U+200B; the user dictionary keeps 交叉熵 whole instead of 交叉 + 熵
    assert "\u200b交叉熵\u200b" in text
    assert "\u200b交叉\u200b熵" not in text


def test_term_pages_search_entries_carry_the_name_fields(site: Path) -> None:
    from site_tools.search import FIELDS

    index = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))
    assert all(index["config"]["fields"][name] == spec for name, spec in FIELDS.items())
    entries = {doc["location"]: doc for doc in index["docs"]}
    for term in TERMS.values():
        entry = entries[term.page.removesuffix(".md") + "/"]
        assert set(FIELDS) <= set(entry), term.slug
        # every word of the title has its page's marker ("Cross-entropy" -> cross_<n>, entropy_<n>)
        title_words = [w for w in re.split(r"[\s\-]+", term.title.lower()) if w.isascii() and w.isalnum()]
        markers = entry["names"].split() + entry["other_names"].split()
        assert all(any(m.startswith(w) for m in markers) for w in title_words), (term.slug, title_words)


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_term_page_links_its_standalone_download(site: Path, slug: str) -> None:
    from site_tools.render import download_path
    from snippets._standalone import standalone_source

    html = term_page(site, slug).read_text(encoding="utf-8")
    filename = download_path(TERMS[slug]).rsplit("/", 1)[1]
    assert f'href="{filename}"' in html and f'download="{filename}"' in html
    published = site / download_path(TERMS[slug])
    assert published.read_text(encoding="utf-8") == standalone_source(TERMS[slug].module)
