"""The one way a page draws a plot: matplotlib -> inline SVG that follows the light/dark theme.

Usage inside an executed block (``html="1"``)::

    from site_tools.plot import figure, to_svg
    fig, ax = figure()
    ax.plot(x, y, label="sigmoid")
    print(to_svg(fig, "sigmoid-curve", alt="The sigmoid curve rising from 0 to 1"))

What ``to_svg`` fixes in matplotlib's SVG so that it can live inside a page:
- text, axes and ticks are drawn in a placeholder ink that becomes ``currentColor``, and the
  series colours become CSS variables (docs/assets/glossary.css sets them per palette);
- the background is transparent;
- the output is reproducible: no date, a fixed hash salt for matplotlib's generated ids;
- the unscoped ``<style>`` block (which would restyle every element of the page) is replaced by
  attributes on the ``<svg>`` element;
- ids are prefixed with the figure's name (unique per page) and unreferenced ids are dropped,
  so two figures on one page never repeat an id;
- ``role="img"``, an ``aria-label`` and a ``<title>`` carry the text alternative;
- ``data-search-exclude`` keeps the plot's text (tick labels, legend) out of the search index,
  where it was run-together noise such as "−6−4−20θ₁−2−1012"; the caption stays searchable.

And one thing for speed: the tick labels of a log axis are written as plain text ("10⁻³") instead of
matplotlib's mathtext (``$\\mathdefault{10^{-3}}$``). Typesetting mathtext parses each label with
pyparsing; on a log axis that was half the time of saving the whole figure.
"""

from __future__ import annotations

import html
import io
import math
import re

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
from cycler import cycler  # noqa: E402
from matplotlib.ticker import LogFormatterSciNotation  # noqa: E402

INK = "#010203"  # placeholder for text and axes; becomes currentColor
# placeholder series colours -> CSS variables --gl-plot-1 ... (see docs/assets/glossary.css)
SERIES = ["#0000a1", "#0000a2", "#0000a3", "#0000a4", "#0000a5", "#0000a6"]

STYLE = {
    "svg.fonttype": "none",  # keep text as <text>: small, selectable, inherits colour
    "svg.hashsalt": "dl-glossary",  # matplotlib's generated ids are hashes: make them repeatable
    "font.family": "sans-serif",
    "font.sans-serif": ["DejaVu Sans"],
    "font.size": 10,
    "text.color": INK,
    "axes.labelcolor": INK,
    "axes.edgecolor": INK,
    "axes.titlesize": 11,
    "xtick.color": INK,
    "ytick.color": INK,
    "axes.grid": True,
    "grid.color": INK,
    "grid.alpha": 0.15,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.prop_cycle": cycler(color=SERIES),
    "legend.frameon": False,
    "lines.linewidth": 2.0,
    "patch.edgecolor": INK,  # annotation arrows and other patches
    "figure.figsize": (6.4, 3.4),
    "savefig.transparent": True,
}


# matplotlib reads most settings when an artist is created (a legend, a tick label), which
# happens in the page's own code: so the style is set for the whole build process, once.
plt.rcParams.update(STYLE)


def figure(nrows: int = 1, ncols: int = 1, **kwargs):
    """``plt.subplots`` in the site's style. Returns ``(fig, axes)``."""
    return plt.subplots(nrows, ncols, layout="constrained", **kwargs)


_SUPERSCRIPT = str.maketrans("-0123456789", "⁻⁰¹²³⁴⁵⁶⁷⁸⁹")
# what LogFormatterSciNotation writes: $\mathdefault{[-][c\times]b^{e}}$ or $\mathdefault{[-]x}$
_MATHTEXT_TICK = re.compile(
    r"\$\\mathdefault\{(-?)(?:([0-9.]+)\\times)?(?:([0-9.]+)\^\{(-?\d+)\}|([0-9.e+-]+))\}\$"
)


def _plain_tick(label: str) -> str:
    """``$\\mathdefault{2\\times10^{-3}}$`` -> ``2×10⁻³``; any other label is returned unchanged."""
    match = _MATHTEXT_TICK.fullmatch(label)
    if match is None:
        return label
    sign, coeff, base, exponent, plain = match.groups()
    if plain is not None:  # a small power written out, e.g. 0.1 or 100
        return ("−" if sign else "") + plain.replace("-", "−")
    text = (f"{coeff}×" if coeff else "") + base + exponent.translate(_SUPERSCRIPT)
    return ("−" if sign else "") + text


class _PlainLogFormatter(LogFormatterSciNotation):
    """matplotlib's log-axis labels, as plain text (see the module docstring)."""

    def __call__(self, x, pos=None):
        return _plain_tick(super().__call__(x, pos))


def _plain_log_ticks(fig) -> None:
    """Swap every default log-axis formatter of ``fig`` for the plain-text one."""
    for ax in fig.axes:
        for axis in (ax.xaxis, ax.yaxis):
            for get, set_ in (
                (axis.get_major_formatter, axis.set_major_formatter),
                (axis.get_minor_formatter, axis.set_minor_formatter),
            ):
                old = get()
                if type(old) is LogFormatterSciNotation:  # a formatter the page chose is kept
                    set_(
                        _PlainLogFormatter(
                            base=old._base,
                            labelOnlyBase=old.labelOnlyBase,
                            minor_thresholds=old.minor_thresholds,
                            linthresh=old._linthresh,
                        )
                    )


def _slug(name: str) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")
    if not slug:
        raise ValueError(f"figure name {name!r} has no letters or digits to build an id from")
    return slug


_ONE_DECIMAL = re.compile(r"-?\d+\.\d+")
_NO_OP_ROTATE = re.compile(r' transform="rotate\(-?0 [-\d.]+ [-\d.]+\)"')
# a patch drawn with neither fill nor stroke (the transparent figure and axes backgrounds)
_INVISIBLE_PATCH = re.compile(r'<path d="[^"]*" style="fill: none"/>')
_TAG = re.compile(r"<(/?)g\b([^>]*)>")
# a run of marker copies drawn in one style (a scatter or a line's markers): matplotlib repeats the
# style on every <use>; fill, stroke and stroke-width are inherited, so one enclosing <g> can carry it
_USE_RUN = re.compile(r'(?:<use [^>]*? style="([^"]*)"/>\s*)(?:<use [^>]*? style="\1"/>\s*)+')
_USE_STYLE = re.compile(r'(<use [^>]*?) style="[^"]*"/>')


MIN_TEXT_PX = 11  # smallest plot text on a phone, in CSS pixels
_FONT_SIZE = re.compile(r"font-size: ([\d.]+)px")


def _phone_width(view_box: str, svg: str) -> int:
    """CSS pixels a plot needs so that its smallest text is MIN_TEXT_PX: the SVG scales its text
    with its width, and a 460-unit-wide plot of 10-unit text squeezed onto a 390 px phone showed
    ~7.8 px text. On a narrow screen glossary.css gives the plot this width and lets it scroll."""
    width = float(view_box.split()[2])
    sizes = [float(size) for size in _FONT_SIZE.findall(svg)]
    return math.ceil(width * MIN_TEXT_PX / min(sizes)) if sizes else 0


def _round(match: re.Match[str]) -> str:
    """One decimal, without trailing zeros: 56.40 -> 56.4, 3.00 -> 3, -0.04 -> 0."""
    text = f"{float(match.group(0)):.1f}".rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def _one_style(run: re.Match[str]) -> str:
    """A run of same-style ``<use>`` markers inside one ``<g>`` that carries the style."""
    uses = _USE_STYLE.sub(r"\1/>", run.group(0)).strip()
    return f'<g style="{run.group(1)}">{uses}</g>\n'


def _lean(svg: str) -> str:
    """Drop what draws nothing: no-op rotations of tick labels, invisible background patches, and
    the attribute-less ``<g>`` wrappers matplotlib nests around every artist (their ids are gone,
    so they group nothing). About a third of a plot's bytes. Runs of markers drawn in one style
    carry that style once, on a ``<g>`` around them, instead of on every ``<use>``."""
    svg = _NO_OP_ROTATE.sub("", svg)
    svg = _INVISIBLE_PATCH.sub("", svg)
    svg = _USE_RUN.sub(_one_style, svg)
    out, kept, pos = [], [], 0  # kept: for each open <g>, whether it has attributes (is written)
    for tag in _TAG.finditer(svg):
        out.append(svg[pos : tag.start()])
        pos = tag.end()
        if tag.group(1):  # </g>
            if kept.pop():
                out.append(tag.group(0))
        else:
            kept.append(bool(tag.group(2).strip()))
            if kept[-1]:
                out.append(tag.group(0))
    out.append(svg[pos:])
    return "".join(out)


def to_svg(fig, name: str, alt: str, caption: str | None = None, *,
           alt_zh: str | None = None, caption_zh: str | None = None) -> str:
    """Render ``fig`` as an inline ``<figure>`` with a themable SVG, and close it.

    Parameters
    ----------
    fig : matplotlib.figure.Figure
    name : str
        Unique on the page; prefixes every id in the SVG.
    alt : str
        Text alternative: what the plot shows, for screen readers and as a tooltip.
    caption : str, optional
        Visible caption under the plot (HTML allowed).
    alt_zh, caption_zh : str, optional
        The same in Chinese, for the page's Chinese twin. A plot block is the same code on both
        pages (so the Chinese build takes its output from the English run); the figure carries
        both texts, and :func:`localize` keeps the page's own.
    """
    if not alt.strip():
        raise ValueError("alt must describe the plot")
    if alt_zh is None and caption_zh is not None:
        raise ValueError("caption_zh without alt_zh: a Chinese caption needs the Chinese text alternative too")
    if alt_zh is not None and (not alt_zh.strip() or (caption is None) != (caption_zh is None)):
        raise ValueError("alt_zh must describe the plot, and caption_zh is given exactly when caption is")
    prefix = _slug(name)
    _plain_log_ticks(fig)
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    plt.close(fig)
    svg = buffer.getvalue()

    # drop the XML prolog, the DOCTYPE and the RDF metadata block
    svg = svg[svg.index("<svg") :]
    svg = re.sub(r"<metadata>.*?</metadata>", "", svg, flags=re.S)
    # the page-wide <style>*{stroke-linejoin: round; stroke-linecap: butt}</style> -> attributes
    svg = re.sub(r"<style[^>]*>.*?</style>", "", svg, flags=re.S)
    svg = re.sub(r"<defs>\s*</defs>", "", svg)

    # ids: keep (prefixed) only those that something references
    referenced = set(re.findall(r'url\(#([^)]+)\)', svg)) | set(re.findall(r'href="#([^"]+)"', svg))
    svg = re.sub(
        r'\sid="([^"]+)"',
        lambda m: f' id="{prefix}-{m.group(1)}"' if m.group(1) in referenced else "",
        svg,
    )
    svg = re.sub(r"url\(#([^)]+)\)", lambda m: f"url(#{prefix}-{m.group(1)})", svg)
    svg = re.sub(r'href="#([^"]+)"', lambda m: f'href="#{prefix}-{m.group(1)}"', svg)

    # colours: ink -> currentColor, series placeholders -> CSS variables with a fallback
    svg = re.sub(INK, "currentColor", svg, flags=re.I)
    for i, colour in enumerate(SERIES, start=1):
        svg = re.sub(colour, f"var(--gl-plot-{i})", svg, flags=re.I)
    # the font: matplotlib names DejaVu Sans; let the page's font stack take over
    svg = re.sub(r"font-family: [^;\"]+", "font-family: inherit", svg)
    # coordinates (path data and position attributes, never text): one decimal is 1/10 of a unit
    # (a plot is ~550 units wide and shown at about that many pixels); matplotlib writes six
    svg = re.sub(
        r'(\s(?:d|x|y|x1|x2|y1|y2|width|height|transform|points)=")([^"]*)(")',
        lambda m: m.group(1) + _ONE_DECIMAL.sub(_round, m.group(2)) + m.group(3),
        svg,
    )
    svg = _lean(svg)

    # the root element: size from CSS, accessibility attributes, stroke defaults from <style>;
    # on a phone the plot is at least as wide as makes its smallest text MIN_TEXT_PX (glossary.css)
    label = html.escape(alt, quote=True)
    svg = re.sub(
        r'<svg [^>]*?(viewBox="([^"]+)")[^>]*>',
        lambda m: (
            f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
            f'{m.group(1)} role="img" aria-label="{label}" class="gl-plot" data-search-exclude '
            f'style="--gl-plot-phone-width: {_phone_width(m.group(2), svg)}px" '
            f'stroke-linejoin="round" stroke-linecap="butt"><title>{html.escape(alt)}</title>'
        ),
        svg,
        count=1,
    )
    svg = re.sub(r"\s*\n\s*", " ", svg)  # one line: Markdown never splits raw HTML mid-way
    svg = re.sub(r">\s+<", "><", svg).strip()
    figcaption = f"<figcaption>{caption}</figcaption>" if caption else ""
    translated = ""
    if alt_zh is not None:
        translated = f'<template data-gl-lang="zh" data-gl-alt="{html.escape(alt_zh, quote=True)}">{caption_zh or ""}</template>'
    return f'<figure class="gl-figure" id="fig-{prefix}">{svg}{figcaption}{translated}</figure>'


_FIGURE = re.compile(r'<figure class="gl-figure" id="fig-[^"]*">.*?</figure>', re.S)
_TRANSLATION = re.compile(r'<template data-gl-lang="([\w-]+)" data-gl-alt="([^"]*)">(.*?)</template>', re.S)


def localize(page_html: str, lang: str) -> str:
    """Every figure of :func:`to_svg` in the page's language: on a page in ``lang`` its text
    alternative (``aria-label``, ``<title>``) and caption become the figure's ``lang`` texts; every
    page drops the translations it does not show."""

    def one(match: re.Match[str]) -> str:
        figure = match.group(0)
        own = next((t for t in _TRANSLATION.finditer(figure) if t.group(1) == lang), None)
        figure = _TRANSLATION.sub("", figure)
        if own is None:
            return figure
        alt = own.group(2)  # escaped for an attribute already; a <title> reads it the same
        figure = re.sub(r'aria-label="[^"]*"', lambda _: f'aria-label="{alt}"', figure, count=1)
        figure = re.sub(r"<title>.*?</title>", lambda _: f"<title>{alt}</title>", figure, count=1, flags=re.S)
        if own.group(3):
            figure = re.sub(r"<figcaption>.*?</figcaption>", lambda _: f"<figcaption>{own.group(3)}</figcaption>",
                            figure, count=1, flags=re.S)
        return figure

    return _FIGURE.sub(one, page_html)
