"""Accessibility fixes applied to the HTML the build writes (site_tools/hooks.py calls them).

- :func:`mark_chinese`: every run of Chinese text in a page's content gets ``lang="zh-Hans"``, so
  a screen reader reads it with a Chinese voice and a browser picks Simplified Chinese glyphs
  (without it, Chromium drew 函 and 数 from a Japanese font). Runs inside ``<pre>``, ``<script>``,
  ``<style>``, ``<math>`` and ``<svg>`` and inside tag attributes are left alone; an element that
  already says its ``lang`` is not marked twice. English pages only: a page of the Chinese edition
  is ``lang="zh"`` as a whole (site_tools/hooks.py).
- :func:`name_search_dialog`: Material's search overlay is ``role="dialog"`` with no accessible
  name (axe: aria-dialog-name); it gets ``aria-label="Search"``.
"""

from __future__ import annotations

import re

# Han ideographs and CJK punctuation (、。：“”（）《》…), with the spaces between two of them
_CJK = r"[\u2e80-\u2fdf\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff01-\uff0f\uff1a-\uff20\uff5b-\uff65]"
_RUN = re.compile(rf"{_CJK}+(?:[ \u00a0]+{_CJK}+)*")
_SKIP = re.compile(r"<(pre|script|style|math|svg|textarea)\b.*?</\1\s*>", re.S | re.I)
_TAG_OR_TEXT = re.compile(r"(<[^>]*>)|([^<]+)")
_MARKED = re.compile(r'\slang="zh[-\w]*"[^>]*>$')  # the text's element already says it is Chinese


def mark_chinese(html: str) -> str:
    """``html`` with each run of Chinese text wrapped in ``<span lang="zh-Hans">``."""
    out, pos = [], 0
    for skipped in _SKIP.finditer(html):
        out.append(_mark(html[pos : skipped.start()]))
        out.append(skipped.group(0))
        pos = skipped.end()
    out.append(_mark(html[pos:]))
    return "".join(out)


def _mark(fragment: str) -> str:
    out: list[str] = []
    for tag, text in _TAG_OR_TEXT.findall(fragment):
        if tag:
            out.append(tag)
        elif out and _MARKED.search(out[-1]):
            out.append(text)
        else:
            out.append(_RUN.sub(lambda m: f'<span lang="zh-Hans">{m.group(0)}</span>', text))
    return "".join(out)


_SEARCH_DIALOG = '<div class="md-search" data-md-component="search" role="dialog">'


SEARCH_NAME = {"en": "Search", "zh": "搜索"}  # the words Material's own search box uses


def name_search_dialog(html: str, lang: str = "en") -> str:
    """Material's search dialog with an accessible name, in the page's language."""
    return html.replace(_SEARCH_DIALOG, _SEARCH_DIALOG[:-1] + f' aria-label="{SEARCH_NAME[lang]}">', 1)
