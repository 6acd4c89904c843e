"""LaTeX -> MathML at build time, so formulas render with no script and no network.

``pymdownx.arithmatex`` (``generic: true``) leaves ``<span class="arithmatex">\\(...\\)</span>``
and ``<div class="arithmatex">\\[...\\]</div>`` in the HTML; :func:`render_math` replaces each
with the MathML that ``latex2mathml`` produces. Browsers render MathML natively.
"""

from __future__ import annotations

import functools
import html
import re

from latex2mathml.converter import convert

# a token element (identifier, number, operator, text) alone in an <mrow>: the <mrow> changes nothing
_LONE_TOKEN = re.compile(r"<mrow>(<(mi|mn|mo|mtext)\b[^>]*>[^<]*</\2>)</mrow>")
# latex2mathml writes every symbol as a character reference (&#x003C3; for σ, &#x00028; for "(")
_CHAR_REF = re.compile(r"&#x([0-9A-Fa-f]+);")
_MARKUP = {"<", ">", "&", '"', "'"}
# a minus or plus right after an operator that is not a closing fence ("(", "=", ",", "[", ...)
# is a sign: latex2mathml leaves it in infix form, spaced like a binary minus ("σ( − x)")
_SIGN = re.compile(r"(<mo\b[^>]*>(?![)\]}|⟩‖])[^<]*</mo>)<mo>([−+±])</mo>")
# a prime as a superscript: the prime glyph is raised already, so in a superscript it sat too high
_PRIMES = "′″‴"
_PRIME_SUP = re.compile(rf"<msup>(<(mi|mn|mo)\b[^>]*>[^<]*</\2>)(?:<mrow>)?<mi>([{_PRIMES}])</mi>(?:</mrow>)?</msup>")
_PRIME_SUBSUP = re.compile(
    rf"<msubsup>(<(mi|mn|mo)\b[^>]*>[^<]*</\2>)(<(mi|mn|mo|mrow)\b.*?</\4>)(?:<mrow>)?<mi>([{_PRIMES}])</mi>(?:</mrow>)?</msubsup>"
)
_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


@functools.lru_cache(maxsize=None)  # a pure function of its text: the Chinese edition repeats the English formulas
def _convert(latex: str, display: str) -> str:
    source = html.unescape(latex).strip()
    mathml = convert(source, display=display)
    # in an HTML page <math> is MathML without an xmlns, and inline is its default display
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    mathml = mathml.replace(' display="inline"', "", 1)
    # the character itself (UTF-8, 1-3 bytes) instead of its 9-byte reference; markup stays escaped
    mathml = _CHAR_REF.sub(lambda m: m.group(0) if chr(int(m.group(1), 16)) in _MARKUP else chr(int(m.group(1), 16)), mathml)
    mathml = _SIGN.sub(r'\1<mo form="prefix">\2</mo>', mathml)
    mathml = _PRIME_SUP.sub(r'<mrow>\1<mo lspace="0" rspace="0">\3</mo></mrow>', mathml)
    mathml = _PRIME_SUBSUP.sub(r'<msub><mrow>\1<mo lspace="0" rspace="0">\5</mo></mrow>\3</msub>', mathml)
    mathml = _LONE_TOKEN.sub(r"\1", mathml)
    # keep the LaTeX as an annotation-free alt text: screen readers and copy-paste get the source
    return mathml.replace("<math", f'<math alttext="{html.escape(source, quote=True)}"', 1)


def render_math(page_html: str) -> str:
    """Replace every arithmatex span/div in ``page_html`` with MathML."""
    page_html = _BLOCK.sub(
        lambda m: f'<div class="gl-math">{_convert(m.group(1), "block")}</div>', page_html
    )
    return _INLINE.sub(lambda m: _convert(m.group(1), "inline"), page_html)
