"""The cheat sheet (site_tools/render.py: cheat_sheet, card): every term once, as a card with its
Chinese name, formula, summary and link; the 2016 cheat sheet's terms first, in that sheet's order.
The printed sheet (PDF) is checked in tests/browser/test_bundle.py."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from site_tools import render
from site_tools.catalog import load_terms

TERMS = load_terms()
CARD = re.compile(r'<div class="gl-card" markdown="1">\n\[([^\]]+)\]\(([^)]+)\)')


def test_every_term_is_on_the_sheet_once_and_the_2016_terms_come_first() -> None:
    markdown = render.cheat_sheet(TERMS)
    cards = CARD.findall(markdown)
    titles = [title for title, _ in cards]
    assert sorted(titles) == sorted(t.title for t in TERMS.values())  # each term exactly once
    first = [TERMS[slug].title for slug in render.ORIGINAL_CHEAT_SHEET]
    assert titles[: len(first)] == first
    # then the families in alphabetical order, each A-Z
    rest = [next(t for t in TERMS.values() if t.title == title) for title in titles[len(first):]]
    assert [(t.family, t.title.casefold()) for t in rest] == sorted((t.family, t.title.casefold()) for t in rest)


def test_a_card_holds_name_chinese_name_formula_summary_and_link() -> None:
    card = render.card(TERMS["sigmoid"], render.CHEAT_SHEET)
    assert "[Sigmoid](activations/sigmoid.md)" in card
    assert '<span class="gl-card__zh" lang="zh-Hans">Sigmoid 函数</span>' in card
    assert "\\(\\sigma(x) = \\frac{1}{1 + e^{-x}}\\)" in card
    assert TERMS["sigmoid"].summary in card


def test_a_formula_with_a_less_than_sign_stays_a_formula() -> None:
    # "y_{<t}" inside the card's <div> once read as a tag to Markdown's HTML parser: the sheet ended there
    term = next(t for t in TERMS.values() if "<" in t.formula)
    card = render.card(term, render.CHEAT_SHEET)
    assert "<" not in card.split("\\(", 1)[1].split("\\)", 1)[0]
    assert "\\lt " in card


def test_the_2016_terms_are_glossary_terms() -> None:
    assert len(render.ORIGINAL_CHEAT_SHEET) == len(set(render.ORIGINAL_CHEAT_SHEET)) == 15
    assert set(render.ORIGINAL_CHEAT_SHEET) <= set(TERMS)


@pytest.mark.site
def test_the_built_sheet_lists_every_term_with_its_formula_as_mathml(site: Path) -> None:
    html = (site / "cheat-sheet" / "index.html").read_text(encoding="utf-8")
    cards = re.findall(r'<div class="gl-card">(.*?)</div>', html, re.S)
    assert len(cards) == len(TERMS)
    linked = set()
    for card in cards:
        href = re.search(r'<a class="gl-card__title" href="\.\./([^"]+)/"', card).group(1)
        linked.add(href)
        assert "<math" in card and "arithmatex" not in card, href  # rendered, not left as LaTeX
        assert 'lang="zh-Hans"' in card and 'class="gl-card__summary"' in card, href
    assert linked == {t.page.removesuffix(".md") for t in TERMS.values()}
    assert 'href="cheat-sheet/"' in (site / "index.html").read_text(encoding="utf-8")  # linked from home


@pytest.mark.site
def test_the_cards_stay_out_of_the_search_index(site: Path) -> None:
    # a card repeats its term's summary: the term's own page must be the hit, so only the sheet's
    # introduction is indexed
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    sheet = [doc for doc in docs if doc["location"].startswith("cheat-sheet/")]
    assert [doc["location"] for doc in sheet] == ["cheat-sheet/"]
    assert not any(t.summary in sheet[0]["text"] for t in TERMS.values())
