"""LaTeX -> MathML at build time (site_tools/mathml.py): what latex2mathml writes, made smaller and
set the way the LaTeX is (a sign is not a binary minus; a prime is not raised twice)."""

from __future__ import annotations

import re

from site_tools.mathml import render_math


def inline(latex: str) -> str:
    return render_math(f'<span class="arithmatex">\\({latex}\\)</span>')


def test_a_sign_after_an_opening_fence_or_a_relation_is_a_prefix_operator() -> None:
    assert '<mo stretchy="false">(</mo><mo form="prefix">−</mo><mi>x</mi>' in inline(r"\sigma(-x)")
    assert '<mo>=</mo><mo form="prefix">−</mo><mi>b</mi>' in inline("a = -b")
    assert '<mo stretchy="false">[</mo><mo form="prefix">−</mo><mn>1</mn>' in inline("[-1, 1]")
    # after a closing fence it is the binary minus
    assert '<mo stretchy="false">)</mo><mo>−</mo><mn>1</mn>' in inline("f(x) - 1")


def test_a_prime_follows_its_base_instead_of_being_a_superscript() -> None:
    assert '<mi>c</mi><mo lspace="0" rspace="0">′</mo>' in inline("c'")
    assert '<mi>f</mi><mo lspace="0" rspace="0">″</mo>' in inline("f''(x)")
    assert '<msub><mrow><mi>h</mi><mo lspace="0" rspace="0">′</mo></mrow><mi>t</mi></msub>' in inline("h'_t")
    assert "<msup>" not in inline(r"h^{\prime}")
    assert "<msubsup><mi>x</mi><mi>t</mi><mn>2</mn></msubsup>" in inline("x_t^{2}")  # a real superscript stays


def test_the_mathml_is_lean_and_keeps_its_source() -> None:
    math = inline(r"\sigma(x) < \frac{1}{1 + e^{-x}}")
    assert 'alttext="\\sigma(x) &lt; \\frac{1}{1 + e^{-x}}"' in math
    assert "xmlns" not in math and 'display="inline"' not in math
    assert "<mi>σ</mi>" in math and "&#x003C3;" not in math  # characters, not references
    assert "&#x0003C;" in math  # markup characters stay escaped
    assert not re.search(r"<mrow><(mi|mn|mo)>[^<]*</\1></mrow>", math)  # no mrow around a lone token
    block = render_math('<div class="arithmatex">\\[a_i\\]</div>')
    assert block.startswith('<div class="gl-math"><math alttext="a_i" display="block">')
