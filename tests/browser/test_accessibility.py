"""Accessibility as a reader with assistive technology meets the site: axe-core (WCAG 2.x A and
AA rules, the version axe-playwright-python bundles) on every kind of page, both palettes, desktop
and phone width; Chinese text marked as such; plot text large enough on a phone; keyboard access
to what scrolls."""

from __future__ import annotations

import pytest

from site_tools.catalog import load_terms
from tests.browser.conftest import open_tab

pytestmark = pytest.mark.browser

TERMS = load_terms()
TEMPLATES = {
    "home": "",
    "A-Z index": "a-z/",
    "family page": "activations/",
    "term page": "activations/sigmoid/",
    "term page, wide formulas": "training/bias-variance-tradeoff/",
    "term page, long code": "recurrent/lstm/",
    "term page, heat maps": "attention/self-attention/",
    "Performance": "performance/",
    "cheat sheet": "cheat-sheet/",
    "families (tags)": "tags/",
    "not found": "404.html",
    # the Chinese edition (site_tools/i18n.py): lang="zh" pages, Chinese headings and navigation
    "中文 home": "zh/",
    "中文 A-Z (pinyin)": "zh/a-z/",
    "中文 family page": "zh/activations/",
    "中文 term page": "zh/activations/sigmoid/",
    "中文 term page, wide formulas": "zh/training/bias-variance-tradeoff/",
    "中文 term page, long code": "zh/recurrent/lstm/",
    "中文 Performance": "zh/performance/",
    "中文 cheat sheet": "zh/cheat-sheet/",
    "中文 families (tags)": "zh/tags/",
}
WCAG_A_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22a", "wcag22aa"]
PHONE, DESKTOP = 390, 1280


@pytest.fixture(scope="module")
def axe_script() -> str:
    from axe_playwright_python.sync_playwright import Axe

    return Axe().axe_script


@pytest.mark.parametrize("scheme", ["light", "dark"])
@pytest.mark.parametrize("width", [DESKTOP, PHONE])
def test_no_serious_or_critical_wcag_violation(browser, base_url: str, axe_script: str, scheme: str, width: int) -> None:
    context, tab = open_tab(browser, scheme)
    tab.page.set_viewport_size({"width": width, "height": 900})
    found = []
    try:
        for template, path in TEMPLATES.items():
            tab.page.goto(base_url + path)
            tab.page.evaluate(axe_script)
            result = tab.page.evaluate(
                "tags => axe.run(document, {runOnly: {type: 'tag', values: tags}, resultTypes: ['violations']})",
                WCAG_A_AA,
            )
            for violation in result["violations"]:
                if violation["impact"] in ("serious", "critical"):
                    node = violation["nodes"][0]
                    found.append(f"{template} ({path or '/'}): {violation['id']} on {len(violation['nodes'])} "
                                 f"node(s), e.g. {node['target']}: {node['failureSummary'][:200]}")
    finally:
        context.close()
    assert found == [], "\n".join(found)


CHINESE_OUTSIDE_LANG = """() => {
    const walker = document.createTreeWalker(document.querySelector('article'), NodeFilter.SHOW_TEXT);
    const bad = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        if (!/\\p{Script=Han}/u.test(node.textContent)) continue;
        const el = node.parentElement;
        if (el.closest('math, svg, pre, script')) continue;
        const lang = el.closest('[lang]').getAttribute('lang');
        if (!lang.startsWith('zh')) bad.push(node.textContent.trim().slice(0, 20));
    }
    return bad;
}"""


@pytest.mark.parametrize("path", ["activations/sigmoid/", "a-z/", "losses/", "cheat-sheet/", ""])
def test_chinese_text_is_marked_as_chinese(tab, base_url: str, path: str) -> None:
    tab.page.goto(base_url + path)
    assert tab.page.evaluate(CHINESE_OUTSIDE_LANG) == []
    # and the browser then draws it from a Chinese font, not the Latin one of the page
    assert tab.page.locator('[lang="zh-Hans"]').count() >= 1


PLOT_TEXT_PX = """() => [...document.querySelectorAll('svg.gl-plot')].map(svg => {
    const sizes = [...svg.querySelectorAll('text')].map(t => parseFloat(t.style.fontSize)).filter(s => s > 0);
    const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
    return sizes.length ? Math.min(...sizes) * scale : null;
}).filter(px => px !== null)"""


@pytest.mark.parametrize("slug", ["sigmoid", "self-attention", "adam", "overfitting", "gradient-descent"])
def test_plot_text_is_at_least_11_px_on_a_phone(browser, base_url: str, slug: str) -> None:
    context, tab = open_tab(browser)
    tab.page.set_viewport_size({"width": PHONE, "height": 800})
    try:
        tab.page.goto(base_url + TERMS[slug].page.removesuffix(".md") + "/")
        sizes = tab.page.evaluate(PLOT_TEXT_PX)
        assert sizes and min(sizes) >= 11 - 0.05, sizes
        # the plot scrolls inside its figure: the page itself does not get wider than the phone
        assert tab.page.evaluate("() => document.documentElement.scrollWidth") <= PHONE
    finally:
        context.close()


def test_what_scrolls_sideways_can_be_reached_by_keyboard(browser, base_url: str) -> None:
    context, tab = open_tab(browser)
    try:
        for width, expect_stops in [(PHONE, True), (DESKTOP, False)]:
            tab.page.set_viewport_size({"width": width, "height": 800})
            tab.page.goto(base_url + "training/bias-variance-tradeoff/")
            state = tab.page.evaluate("""() => [...document.querySelectorAll('.gl-math, .gl-figure')].map(
                box => [box.scrollWidth > box.clientWidth + 1, box.getAttribute('tabindex')])""")
            assert all((tabindex == "0") == overflows for overflows, tabindex in state), state
            assert any(overflows for overflows, _ in state) == expect_stops, (width, state)
    finally:
        context.close()


def test_the_search_dialog_has_a_name(tab, base_url: str) -> None:
    tab.page.goto(base_url)
    assert tab.page.locator('.md-search[role="dialog"]').get_attribute("aria-label") == "Search"
