"""LaTeX -> MathML at build time, so formulas render with no script and no network.

``pymdownx.arithmatex`` (``generic: true``) leaves ``<span class="arithmatex">\\(...\\)</span>``
and ``<div class="arithmatex">\\[...\\]</div>`` in the HTML; :func:`render_math` replaces each
with the MathML that ``latex2mathml`` produces. Browsers render MathML natively.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

# a token element (identifier, number, operator, text) alone in an <mrow>: the <mrow> changes nothing
_LONE_TOKEN = re.compile(r"<mrow>(<(mi|mn|mo|mtext)\b[^>]*>[^<]*</\2>)</mrow>")
# latex2mathml writes every symbol as a character reference (&#x003C3; for σ, &#x00028; for "(")
_CHAR_REF = re.compile(r"&#x([0-9A-Fa-f]+);")
_MARKUP = {"<", ">", "&", '"', "'"}
_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def _convert(latex: str, display: str) -> str:
    source = html.unescape(latex).strip()
    mathml = convert(source, display=display)
    # in an HTML page <math> is MathML without an xmlns, and inline is its default display
    mathml = mathml.replace(' xmlns="http://www.w3.org/1998/Math/MathML"', "", 1)
    mathml = mathml.replace(' display="inline"', "", 1)
    mathml = _LONE_TOKEN.sub(r"\1", mathml)
    # the character itself (UTF-8, 1-3 bytes) instead of its 9-byte reference; markup stays escaped
    mathml = _CHAR_REF.sub(lambda m: m.group(0) if chr(int(m.group(1), 16)) in _MARKUP else chr(int(m.group(1), 16)), mathml)
    # keep the LaTeX as an annotation-free alt text: screen readers and copy-paste get the source
    return mathml.replace("<math", f'<math alttext="{html.escape(source, quote=True)}"', 1)


def render_math(page_html: str) -> str:
    """Replace every arithmatex span/div in ``page_html`` with MathML."""
    page_html = _BLOCK.sub(
        lambda m: f'<div class="gl-math">{_convert(m.group(1), "block")}</div>', page_html
    )
    return _INLINE.sub(lambda m: _convert(m.group(1), "inline"), page_html)
