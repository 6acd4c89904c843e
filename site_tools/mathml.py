"""LaTeX -> MathML at build time, so formulas render with no script and no network.

``pymdownx.arithmatex`` (``generic: true``) leaves ``<span class="arithmatex">\\(...\\)</span>``
and ``<div class="arithmatex">\\[...\\]</div>`` in the HTML; :func:`render_math` replaces each
with the MathML that ``latex2mathml`` produces. Browsers render MathML natively.
"""

from __future__ import annotations

import html
import re

from latex2mathml.converter import convert

_INLINE = re.compile(r'<span class="arithmatex">\\\((.*?)\\\)</span>', re.S)
_BLOCK = re.compile(r'<div class="arithmatex">\\\[(.*?)\\\]</div>', re.S)


def _convert(latex: str, display: str) -> str:
    source = html.unescape(latex).strip()
    mathml = convert(source, display=display)
    # keep the LaTeX as an annotation-free alt text: screen readers and copy-paste get the source
    return mathml.replace("<math ", f'<math alttext="{html.escape(source, quote=True)}" ', 1)


def render_math(page_html: str) -> str:
    """Replace every arithmatex span/div in ``page_html`` with MathML."""
    page_html = _BLOCK.sub(
        lambda m: f'<div class="gl-math">{_convert(m.group(1), "block")}</div>', page_html
    )
    return _INLINE.sub(lambda m: _convert(m.group(1), "inline"), page_html)
