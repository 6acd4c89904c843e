"""The built site has two editions: English at the root, Chinese under /zh/ (site_tools/i18n.py).

Checked on the real build: every page exists in both, each says its language, the language selector
of every page leads to that page's twin, the generated parts of a Chinese page are Chinese, the
Chinese A-Z follows pinyin, and each edition's search reads its own index.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from urllib.parse import urljoin

import pytest

from site_tools.catalog import load_terms
from site_tools.i18n import FAMILIES_ZH, initial, pinyin_key

pytestmark = pytest.mark.site

TERMS = load_terms()


def pages(site: Path) -> set[str]:
    """Site-relative URLs of the English edition's pages (404.html aside)."""
    return {
        p.relative_to(site).parent.as_posix().removeprefix(".") + "/" if p.parent != site else ""
        for p in site.rglob("index.html") if not p.relative_to(site).as_posix().startswith("zh/")
    }


def read(site: Path, url: str) -> str:
    return (site / url / "index.html").read_text(encoding="utf-8")


def text(html: str) -> str:
    """The text of an HTML fragment (abbreviations come wrapped in <abbr> tooltips)."""
    return re.sub(r"<[^>]+>", "", html).strip()


def test_every_page_exists_in_both_editions(site: Path) -> None:
    english = pages(site)
    chinese = {p.relative_to(site / "zh").parent.as_posix().removeprefix(".") + "/" if p.parent != site / "zh" else ""
               for p in (site / "zh").rglob("index.html")}
    assert len(english) >= len(TERMS) + 12 + 5  # terms, family pages, home, A-Z, cheat sheet, performance, tags
    assert english == chinese


def test_each_page_says_its_language_and_links_its_twin(site: Path) -> None:
    for url in sorted(pages(site)):
        for lang, own, twin_lang, twin in (("en", url, "zh", f"zh/{url}"), ("zh", f"zh/{url}", "en", url)):
            html = read(site, own)
            assert re.search(rf'<html lang="{lang}"', html), own
            links = dict((code, href) for href, code in re.findall(r'<a href="([^"]*)" hreflang="([\w-]+)"', html))
            assert set(links) == {"en", "zh"}, own
            page = "/" + own
            assert urljoin(page, links[twin_lang]) == "/" + twin, (own, links)
            assert urljoin(page, links[lang]) == page, (own, links)


def test_a_chinese_term_page_is_chinese_where_the_build_writes_it(site: Path) -> None:
    for term in TERMS.values():
        url = term.page.removesuffix(".md") + "/"
        html = read(site, f"zh/{url}")
        h1 = text(re.search(r"<h1[^>]*>(.*?)<a class=\"headerlink", html, re.S).group(1))
        assert h1 == term.zh[0]
        names = text(re.search(r'<p class="gl-names">(.*?)</p>', html, re.S).group(1))
        assert "英文" in names and term.title in names
        related = html.split('id="related-terms"', 1)[1].split("</ul>", 1)[0]
        assert "相关术语" in html.split('id="related-terms"', 1)[1][:200]
        targets = [urljoin(f"/zh/{url}", href) for href in re.findall(r'<a href="([^"]+)"', related)]
        assert targets == [f"/zh/{TERMS[other].page.removesuffix('.md')}/" for other in term.related], term.slug
        texts = [text(t) for t in re.findall(r'<a href="[^"]+">(.*?)</a>', related)]
        assert texts == [TERMS[other].zh[0] for other in term.related]
        assert "复制这段代码" in html and 'download="' in html  # the download line, in Chinese


def test_the_chinese_family_pages_and_navigation(site: Path) -> None:
    for family, (title, blurb) in FAMILIES_ZH.items():
        html = read(site, f"zh/{family}/")
        assert re.search(rf"<h1[^>]*>{re.escape(title)}<a", html), family
        assert blurb in html
        members = [t for t in TERMS.values() if t.family == family]
        links = re.findall(r'<td><a href="([^"]+)/">(.*?)</a>', html)
        assert [text(name) for _, name in links] == [t.zh[0] for t in sorted(members, key=lambda t: pinyin_key(t.zh[0]))]
    # the sections of the navigation carry the Chinese family names
    nav = read(site, "zh/activations/sigmoid/")
    assert all(title in nav for title, _ in FAMILIES_ZH.values())
    assert ">Activations<" not in nav


def test_the_chinese_a_to_z_is_in_pinyin_order_under_each_initial(site: Path) -> None:
    html = read(site, "zh/a-z/")
    sections = re.split(r'<h2 id="([a-z]|other)">', html)[1:]
    letters, names = [], []
    for anchor, body in zip(sections[::2], sections[1::2]):
        body = body.split("<h2", 1)[0]
        rows = [text(row) for row in re.findall(r'<tr>\s*<td><a href="[^"]+">(.*?)</a>', body)]
        assert rows, anchor
        letter = "#" if anchor == "other" else anchor  # names starting with a digit ("1x1 卷积层")
        assert all(initial(name).lower() == letter for name in rows), (anchor, rows)
        letters.append(letter)
        names += rows
    assert letters == sorted(letters)
    assert names == sorted(names, key=pinyin_key)
    assert sorted(names) == sorted(t.zh[0] for t in TERMS.values())


def test_each_edition_searches_its_own_pages(site: Path) -> None:
    english = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    chinese = json.loads((site / "zh" / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    for docs, root in ((english, site), (chinese, site / "zh")):
        locations = {doc["location"].split("#")[0] for doc in docs}
        assert all((root / loc / "index.html").is_file() for loc in locations)
        assert not any(loc.startswith("zh/") for loc in locations)
        assert len({loc for loc in locations if loc.count("/") == 2}) == len(TERMS)  # every term page
    zh_titles = {doc["title"].replace("\u200b", "") for doc in chinese}  # jieba's word boundaries
    assert {"交叉熵", "批量规范化", "Sigmoid 函数"} <= zh_titles
    assert "Cross-entropy" not in zh_titles
    # a Chinese page's search starts from the Chinese root: Material resolves its base against the
    # page's URL, then "search/search_index.json" and each result's location against the base
    for url, root in (("zh/", "/zh/"), ("zh/activations/sigmoid/", "/zh/"), ("losses/", "/"), ("", "/")):
        config = json.loads(re.search(r'<script id="__config" type="application/json">(.*?)</script>', read(site, url)).group(1))
        base = urljoin(f"/{url}", config["base"])
        assert base == root, (url, config["base"])
        assert urljoin(base, "search/search_index.json") == f"{root}search/search_index.json"


def test_the_chinese_page_shows_the_english_pages_output(site: Path) -> None:
    """Blocks run once: a Chinese page's printed output is the English page's, byte for byte."""
    for slug in ("sigmoid", "cross-entropy", "adam", "lstm"):
        url = TERMS[slug].page.removesuffix(".md") + "/"
        outputs = [re.findall(r'<div class="result".*?</div>', read(site, u), re.S) for u in (url, f"zh/{url}")]
        assert outputs[0] and outputs[0] == outputs[1], slug


def test_no_page_contains_the_search_sentinel(site: Path) -> None:
    """docs/assets/javascripts/glossary.js sends each Chinese run of a query a second time followed by
    〇, so that the worker's word cut can reach the run's last character; that only works while no
    indexed text contains 〇."""
    sentinel = re.search(r'const SENTINEL = "\\u([0-9a-fA-F]{4})"', (site / "assets" / "javascripts" / "glossary.js").read_text(encoding="utf-8"))
    assert sentinel is not None and chr(int(sentinel.group(1), 16)) == "\u3007"
    for index in (site / "search" / "search_index.json", site / "zh" / "search" / "search_index.json"):
        assert "\u3007" not in index.read_text(encoding="utf-8")
