"""site_tools.plot.to_svg: the fixes it promises, checked on a real figure."""

from __future__ import annotations

import re

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
    assert not re.search(r'd="[^"]*\d\.\d{3}', svg)  # path data at two decimals


def test_svg_is_scoped_themable_accessible_and_reproducible() -> None:
    svg = render()
    assert svg == render()  # same bytes twice
    assert "<style" not in svg and "<metadata" not in svg and "<?xml" not in svg
    assert INK not in svg and "currentColor" in svg and "var(--gl-plot-1)" in svg
    assert 'role="img"' in svg and 'aria-label="two lines"' in svg and "<title>two lines</title>" in svg
    ids = re.findall(r'\sid="([^"]+)"', svg)
    assert all(i.startswith(("test-figure-", "fig-test-figure")) for i in ids), ids
    assert "\n" not in svg
