"""The two editions: English at the site's root, Simplified Chinese under ``/zh/``.

mkdocs-static-i18n (``i18n`` in mkdocs.yml, suffix structure) builds the site once per language in
one process: first English from ``docs/<page>.md``, then, from inside the English build's
``on_post_build``, Chinese from ``docs/<page>.zh.md`` into ``site/zh/``. Our hooks run in both builds
and ask this module which language they are building. What the plugin does not do, done here:

- the generated pages (family pages, cheat sheet) and the generated parts of a page (header, download
  line, related terms, A-Z) in the build's language (site_tools/render.py takes ``lang``);
- the language selector linking every page to its own twin, as a relative link (the plugin links the
  home pages as ``/`` and ``/zh/``, which break when the site is opened from a sub-path or a file);
- one search index per language: the plugin merges both into ``search/search_index.json``, so a
  Chinese reader's results would be half English pages. :func:`split_search_index` writes the English
  entries there and the Chinese ones to ``zh/search/search_index.json``, and :func:`search_base`
  points each Chinese page's search at the Chinese index (Material fetches
  ``<config.base>/search/search_index.json`` and resolves result locations against ``config.base``).

A block of a Chinese page whose code is the English page's is not run again: the execution cache
keys a block by its page's *English* path (:func:`canonical`, site_tools/execute.py).
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from site_tools.catalog import LANGUAGES, TRANSLATED

DEFAULT = LANGUAGES[0]
NAMES = {"en": "English", "zh": "中文"}

# the families in Chinese: the section titles of the Chinese navigation and family pages, and the
# description under them (the English ones are the first line of snippets/<family>/__init__.py)
FAMILIES_ZH = {
    "activations": ("激活函数", "激活函数：逐元素或逐行作用的非线性变换。"),
    "attention": ("注意力机制", "注意力机制：让序列中的每个位置去“看”其他位置。"),
    "generative": ("生成模型", "生成模型：自编码器、变分自编码器、生成对抗网络与扩散模型，以及如何评价它们的样本。"),
    "initialization": ("参数初始化", "参数初始化：训练开始前，权重从什么分布里抽取。"),
    "layers": ("网络层", "网络层：搭建神经网络的基本构件。"),
    "losses": ("损失函数", "损失函数：训练循环要最小化的那个标量。"),
    "metrics": ("评估指标", "评估指标：衡量模型好坏的数字。"),
    "normalization": ("规范化", "规范化：重新缩放激活值，让训练更平稳。"),
    "optimization": ("优化", "优化：梯度，以及沿着梯度前进的各种算法。"),
    "probability": ("概率与信息论", "概率与信息论：深度学习从统计学和信息论借来的量。"),
    "recurrent": ("循环神经网络", "循环神经网络：沿着序列传递状态的循环单元。"),
    "regularization": ("正则化", "正则化：防止模型死记训练集的各种手段。"),
    "reinforcement": ("强化学习", "强化学习：回报、价值，以及从奖励中学出策略的各种更新。"),
    "sequence": ("序列与语言", "序列与语言：词元、词向量、解码，以及评判生成文本的指标。"),
    "training": ("训练", "训练：训练循环的基本词汇，以及如何评判一个模型。"),
    "vision": ("计算机视觉", "计算机视觉：边界框、匹配，以及图像模型的基本构件。"),
}


def build_language(config) -> str:
    """The language the current build writes (``en`` without the i18n plugin)."""
    plugin = config.plugins.get("i18n") if hasattr(config, "plugins") else None
    return getattr(plugin, "current_language", None) or DEFAULT


def editions(config) -> list[str]:
    """The languages this site build writes, in the order mkdocs-static-i18n builds them."""
    plugin = config.plugins.get("i18n")
    if plugin is None:
        return [DEFAULT]
    return [DEFAULT, *(lang for lang in plugin.build_languages if lang != DEFAULT)]


def is_first_edition(config) -> bool:
    return build_language(config) == editions(config)[0]


def is_last_edition(config) -> bool:
    return build_language(config) == editions(config)[-1]


def finishing(config) -> bool:
    """True in the English build's ``on_post_build`` once every language has been built."""
    plugin = config.plugins.get("i18n")
    return plugin is None or not getattr(plugin, "building", False)


def page_language(src_uri: str) -> str:
    """``activations/sigmoid.zh.md`` -> ``zh``; a page without a language suffix is English."""
    suffixes = Path(src_uri).suffixes
    return suffixes[-2].lstrip(".") if len(suffixes) >= 2 and suffixes[-2].lstrip(".") in TRANSLATED else DEFAULT


def canonical(src_uri: str) -> str:
    """The English page of any page: ``activations/sigmoid.zh.md`` -> ``activations/sigmoid.md``."""
    lang = page_language(src_uri)
    return src_uri if lang == DEFAULT else src_uri.replace(f".{lang}.md", ".md")


def url_in(url: str, lang: str) -> str:
    """A page's URL (site-relative, as MkDocs writes ``page.url``) in the edition ``lang``."""
    english = url
    for other in TRANSLATED:
        if url == other or url.startswith(f"{other}/"):
            english = url[len(other) + 1 :]
    return english if lang == DEFAULT else f"{lang}/{english}"


def alternates(page_url: str) -> list[dict]:
    """Material's ``extra.alternate`` for one page: each language's twin of the page, site-relative
    (MkDocs' ``url`` filter then makes it relative to the page). The twin exists: the parity test
    (tests/test_zh_parity.py) fails for a page without one."""
    return [
        {"name": NAMES[lang], "link": url_in(page_url, lang) or "./", "lang": lang}
        for lang in LANGUAGES
    ]


_BASE = re.compile(r'("base":\s*")([^"]*)(")')
_ALTERNATE_LINK = re.compile(r'<link rel="alternate" href="[^"]*" hreflang="[\w-]+">')


def without_alternate_links(output: str) -> str:
    """Drop Material's ``<link rel="alternate" hreflang>`` from a page's head. For each of them its
    script fetches ``<link>/sitemap.xml``, to find the current page in that language when the
    selector is clicked; our selector already links each page's twin (:func:`alternates`), so the
    fetches (two per page load, each a 404) would buy nothing."""
    return _ALTERNATE_LINK.sub("", output)


def search_base(output: str, lang: str) -> str:
    """Point a page's search at its edition's index: Material's ``__config`` ``base`` (the path to
    the site's root) becomes the path to ``<lang>/``, with its closing slash: Material resolves
    ``search/search_index.json`` and each result's location against it as a URL, and without the
    slash ``zh`` would be a file in the root, not a folder."""
    if lang == DEFAULT:
        return output
    return _BASE.sub(lambda m: f"{m[1]}{m[2].rstrip('/') or '.'}/{lang}/{m[3]}", output, count=1)


def split_search_index(site_dir: Path, as_script: bool = False) -> dict[str, int]:
    """Split the plugin's merged ``search/search_index.json`` into one index per language; a
    translated edition's locations become relative to its own root. ``as_script``: also write each
    as ``search_index.js`` (``var __index = ...``), as Material's offline plugin does for file://
    pages. Returns the entries per language."""
    merged_path = site_dir / "search" / "search_index.json"
    merged = json.loads(merged_path.read_text(encoding="utf-8"))
    docs = {lang: [] for lang in LANGUAGES}
    for entry in merged["docs"]:
        location = entry["location"]
        lang = next((t for t in TRANSLATED if location == t or location.startswith((f"{t}/", f"{t}#"))), DEFAULT)
        if lang != DEFAULT:
            entry = {**entry, "location": location[len(lang) :].lstrip("/")}
        docs[lang].append(entry)
    for lang, entries in docs.items():
        path = site_dir / ("" if lang == DEFAULT else lang) / "search" / "search_index.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({**merged, "docs": entries}, ensure_ascii=False, separators=(",", ":"))
        path.write_text(text, encoding="utf-8")
        if as_script:
            path.with_suffix(".js").write_text(f"var __index = {text}", encoding="utf-8")
    return {lang: len(entries) for lang, entries in docs.items()}


def register_generated(config, lang: str, files: list) -> None:
    """Tell mkdocs-static-i18n about pages made after its ``on_files`` (it lists each edition's pages,
    in ``i18n_files_per_language``, for its sitemap.xml with language alternates)."""
    plugin = config.plugins.get("i18n")
    if plugin is not None and isinstance(getattr(plugin, "i18n_files_per_language", None), dict):
        pages = plugin.i18n_files_per_language.setdefault(lang, [])
        pages.extend(f for f in files if f not in pages)


def pinyin_key(name: str) -> tuple[str, str]:
    """Sort key of a Chinese name by its pinyin (Latin parts as they are, case-folded)."""
    from pypinyin import Style, lazy_pinyin

    syllables = lazy_pinyin(name, style=Style.TONE3, errors=lambda run: [run.strip()])  # a Latin run stays whole
    return " ".join(s for s in syllables if s).casefold(), name


def initial(name: str) -> str:
    """The letter a Chinese name is filed under: its first syllable's initial, or its Latin letter."""
    from pypinyin import Style, lazy_pinyin

    # the whole name, not its first character alone: a character's reading depends on the word
    # (长 is chang in 长短期记忆, zhang alone)
    syllables = [s for s in lazy_pinyin(name, style=Style.NORMAL, errors=lambda run: [run.strip()]) if s]
    first = syllables[0][:1].upper() if syllables else "#"
    return first if first.isascii() and first.isalpha() else "#"
