"""Term pages as a reader meets them in Chromium: no errors, nothing fetched from elsewhere,
plots that follow the palette, copy buttons on the tested code, working index and tooltips."""

from __future__ import annotations

import pytest

from site_tools.catalog import abbreviations, load_terms

pytestmark = pytest.mark.browser

TERMS = load_terms()


def url_of(base_url: str, slug: str) -> str:
    return base_url + TERMS[slug].page.removesuffix(".md") + "/"


@pytest.mark.parametrize("edition", ["", "zh/"], ids=["en", "zh"])
@pytest.mark.parametrize("slug", sorted(TERMS))
def test_page_loads_cleanly_and_locally(tab, base_url: str, slug: str, edition: str) -> None:
    tab.page.goto(url_of(base_url + edition, slug))
    tab.page.wait_for_load_state("networkidle")
    assert tab.errors == [], tab.errors
    assert tab.outside_requests() == [], tab.outside_requests()
    # MathML is laid out by the browser (not left as source text), and plots have a real size
    math = tab.page.locator("math").first.bounding_box()
    assert math is not None and math["width"] > 0 and math["height"] > 0
    plot = tab.page.locator("svg.gl-plot").first.bounding_box()
    assert plot is not None and plot["width"] > 300 and plot["height"] > 100
    # a copy button on every included snippet: the implementation blocks are titled with their file
    blocks = tab.page.locator(".highlight:has(> span.filename)")
    assert blocks.count() >= 1
    for i in range(blocks.count()):
        assert blocks.nth(i).locator("button[data-clipboard-target]").count() == 1, f"block {i}"


PLOT_COLOURS = """() => {
    const svg = document.querySelector('svg.gl-plot');
    const series = svg.querySelector('[style*="var(--gl-plot-1)"]');
    return [getComputedStyle(svg).color, getComputedStyle(series).stroke || getComputedStyle(series).fill];
}"""


def test_plots_follow_the_palette_toggle(tab, base_url: str) -> None:
    page = tab.page
    page.goto(url_of(base_url, "sigmoid"))
    scheme = lambda: page.evaluate("() => document.body.getAttribute('data-md-color-scheme')")  # noqa: E731
    light_scheme, light = scheme(), page.evaluate(PLOT_COLOURS)
    # Material's toggle: the visible label of the palette form switches to the other scheme
    page.locator("form[data-md-component=palette] label:visible").first.click()
    page.wait_for_function("s => document.body.getAttribute('data-md-color-scheme') !== s", arg=light_scheme)
    dark_scheme, dark = scheme(), page.evaluate(PLOT_COLOURS)
    assert (light_scheme, dark_scheme) == ("default", "slate")
    assert light[0] != dark[0], "axis/text colour did not change with the palette"
    assert light[1] != dark[1], "series colour did not change with the palette"
    # and the text is light on the dark background: the red channel of rgb(r, g, b) is high
    assert int(dark[0].split("(")[1].split(",")[0]) > 150, dark


def test_a_to_z_links_to_every_term(tab, base_url: str) -> None:
    tab.page.goto(base_url + "a-z/")
    hrefs = tab.page.eval_on_selector_all("article a", "links => links.map(a => a.href)")
    for slug in TERMS:
        assert url_of(base_url, slug) in hrefs, slug


def test_family_pages_list_their_terms(tab, base_url: str) -> None:
    for family in sorted({t.family for t in TERMS.values()}):
        tab.page.goto(f"{base_url}{family}/")
        hrefs = tab.page.eval_on_selector_all("article a", "links => links.map(a => a.href)")
        for term in TERMS.values():
            assert (url_of(base_url, term.slug) in hrefs) == (term.family == family), (family, term.slug)


def test_abbreviations_show_their_expansion(tab, base_url: str) -> None:
    expected = abbreviations(TERMS)
    tab.page.goto(url_of(base_url, "cross-entropy"))
    found = dict(tab.page.eval_on_selector_all("article abbr", "els => els.map(e => [e.textContent, e.title])"))
    assert found, "no abbreviation tooltips on the page"
    for abbr, title in found.items():
        assert expected[abbr] == title
    # Material turns the title into its own tooltip on hover
    tab.page.locator("article abbr", has_text="CE").first.hover()
    tooltip = tab.page.locator(".md-tooltip2, .md-tooltip").filter(has_text="cross-entropy")
    tooltip.first.wait_for(state="visible", timeout=5000)


def test_the_language_button_leads_to_the_same_page_in_the_other_language(tab, base_url: str) -> None:
    """As a reader uses it: open the language menu, pick the other language, land on the twin."""
    for start, pick, lang, landing in (("activations/sigmoid/", "中文", "zh", "zh/activations/sigmoid/"),
                                       ("zh/losses/cross-entropy/", "English", "en", "losses/cross-entropy/"),
                                       ("zh/", "English", "en", "")):
        tab.page.goto(base_url + start)
        tab.page.locator(".md-header__option .md-select").first.hover()
        tab.page.locator(f'a.md-select__link[hreflang="{lang}"]', has_text=pick).click()
        tab.page.wait_for_url(base_url + landing)
        assert tab.page.locator("html").get_attribute("lang") == lang
    assert tab.errors == [], tab.errors
