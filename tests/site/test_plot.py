"""site_tools.plot.to_svg: the fixes it promises, checked on a real figure."""

from __future__ import annotations

import re

import numpy as np

from site_tools.plot import INK, figure, to_svg


def render() -> str:
    fig, ax = figure()
    ax.plot([0.0, 1.0], [0.0, 1.0], label="η = 0.019")
    ax.plot([0.0, 1.0], [1.0, 0.0], color=INK)
    ax.set_xticks([0.001, 0.5])
    ax.legend()
    return to_svg(fig, "Test figure", alt="two lines")


def test_text_keeps_its_digits_while_coordinates_are_shortened() -> None:
    svg = render()
    assert "0.019" in svg and "0.001" in svg  # legend and tick text untouched
    assert not re.search(r'd="[^"]*\d\.\d{2}', svg)  # path data at one decimal


def test_svg_is_scoped_themable_accessible_and_reproducible() -> None:
    svg = render()
    assert svg == render()  # same bytes twice
    assert "<style" not in svg and "<metadata" not in svg and "<?xml" not in svg
    assert INK not in svg and "currentColor" in svg and "var(--gl-plot-1)" in svg
    assert "data-search-exclude" in svg  # tick labels are not words to search for
    assert 'role="img"' in svg and 'aria-label="two lines"' in svg and "<title>two lines</title>" in svg
    ids = re.findall(r'\sid="([^"]+)"', svg)
    assert all(i.startswith(("test-figure-", "fig-test-figure")) for i in ids), ids
    assert "\n" not in svg


def _mathtext_value(label: str) -> float:
    """Matplotlib's log tick label, e.g. ``$\\mathdefault{2\\times10^{-1}}$``, as a number."""
    match = re.fullmatch(r"\$\\mathdefault\{(?:(\d+)\\times)?10\^\{(-?\d+)\}\}\$", label)
    assert match, label
    return float(match.group(1) or 1) * 10.0 ** int(match.group(2))


def _plain_value(label: str) -> float:
    """The plain label, e.g. ``2×10⁻¹``, as a number."""
    digits = label.translate(str.maketrans("⁻⁰¹²³⁴⁵⁶⁷⁸⁹", "-0123456789"))
    match = re.fullmatch(r"(?:(\d+)×)?10(-?\d+)", digits)
    assert match, label
    return float(match.group(1) or 1) * 10.0 ** int(match.group(2))


def test_log_axis_ticks_are_plain_text_saying_what_matplotlib_says() -> None:
    fig, (ax, ax2) = figure(1, 2)
    ax.semilogy([1.0, 2.0, 3.0], [1e-4, 1e-2, 1e1])
    ax2.loglog([0.2, 0.9], [0.3, 0.6])  # under a decade: minor ticks get labels such as 2×10⁻¹
    fig.canvas.draw()  # matplotlib's own labels, before to_svg swaps the formatter
    expected = []
    for labels, (low, high) in (
        (ax.get_yticklabels(), ax.get_ylim()),
        (ax2.get_xticklabels(minor=True), ax2.get_xlim()),
    ):
        values = [_mathtext_value(t.get_text()) for t in labels if t.get_text()]
        expected += [v for v in values if low <= v <= high]  # ticks outside the view are not drawn
    assert len(expected) >= 6
    svg = to_svg(fig, "log", alt="log axes")

    texts = re.findall(r"<text[^>]*>([^<]+)</text>", svg)
    assert "10⁻⁴" in texts and "10¹" in texts and "2×10⁻¹" in texts, texts
    assert not any("mathdefault" in t or "$" in t for t in texts)
    shown = [_plain_value(t) for t in texts if "10" in t]
    assert all(any(abs(v - s) <= 1e-12 * v for s in shown) for v in expected), (expected, texts)


def test_what_draws_nothing_is_dropped_and_groups_stay_balanced() -> None:
    svg = render()
    assert "<g>" not in svg and "rotate(-0 " not in svg and 'style="fill: none"/>' not in svg
    assert svg.count("<g ") == svg.count("</g>")  # every kept group is closed, no stray closing tag
    assert re.search(r'clip-path="url\(#test-figure-[^)]+\)"', svg)  # clipping survives


def test_markers_drawn_in_one_style_carry_it_once() -> None:
    # 50 markers of one colour: matplotlib writes the style on every <use>; the lean SVG on one <g>
    fig, ax = figure()
    ax.plot(np.arange(50), np.arange(50) % 7, ".", color="C1")
    svg = to_svg(fig, "markers", alt="Fifty points", alt_zh="五十个点")
    run = re.search(r'<g style="([^"]*)">((?:<use [^>]*/>)+)</g>', svg)
    assert run and "var(--gl-plot-2)" in run.group(1)  # the colour ("C1") is still theme-aware
    uses = re.findall(r"<use [^>]*>", run.group(2))
    assert len(uses) == 50 and not any("style=" in use for use in uses)
    assert svg.count("<g ") == svg.count("</g>")
