"""Smaller HTML for every page, with nothing a reader can see changed.

Material's templates indent every line of the navigation, header and footer; on a term page that
indentation was about a tenth of the bytes. :func:`squeeze` replaces each run of whitespace that
contains a line break with a single line break. Outside ``<pre>``, ``<textarea>``, ``<script>``
and ``<style>`` a browser renders such a run exactly like one space (CSS ``white-space: normal``),
so the page looks and reads the same; inside those elements whitespace is kept byte for byte.
"""

from __future__ import annotations

import re

_KEEP = re.compile(r"<(pre|textarea|script|style)\b.*?</\1\s*>", re.S | re.I)
_RUN = re.compile(r"[ \t\r\f]*\n\s*")


def squeeze(html: str) -> str:
    """``html`` with every whitespace run that holds a newline cut to ``"\\n"``, except in
    ``<pre>``, ``<textarea>``, ``<script>`` and ``<style>`` elements."""
    out, pos = [], 0
    for kept in _KEEP.finditer(html):
        out.append(_RUN.sub("\n", html[pos : kept.start()]))
        out.append(kept.group(0))
        pos = kept.end()
    out.append(_RUN.sub("\n", html[pos:]))
    return "".join(out)
