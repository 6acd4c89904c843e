"""The Chinese edition, checked against the English one (CONTRIBUTING.md, "The Chinese page").

Every page ``docs/<path>.md`` has a twin ``docs/<path>.zh.md``. For a term page the twin has the same
sections (ids) in the same order, the same code listings and the same executed blocks, character for
character (a plot block carries its Chinese text alternative and caption as ``alt_zh``/``caption_zh``
of ``to_svg``, on both pages), the same display formulas in order and the same inline formulas, links
to the same pages, at least as many pitfalls, and prose that is mostly Chinese. These are checks of
the Markdown source; tests/site checks the built pages.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from pathlib import Path

import pytest
import yaml
from markdown.extensions.toc import slugify

from site_tools.catalog import DOCS, TRANSLATED, load_terms, translation
from site_tools.execute import fenced_blocks

TERMS = load_terms()
TERM_PAGES = sorted(term.page for term in TERMS.values())
# every page a reader can open, beside the terms: the hand-written top-level pages
TOP_PAGES = sorted(p.name for p in DOCS.glob("*.md") if "." not in p.stem)
MIN_CJK_SHARE = 0.6  # of the letters in the prose (CONTRIBUTING.md): "mostly Chinese", with room for
# the English names in parentheses, identifiers and library names that a Chinese text keeps

FRONT_MATTER = re.compile(r"\A---\n(.*?)\n---\n", re.S)
FENCE = re.compile(r"^(?P<indent>[ \t]*)(?P<fence>`{3,}|~{3,})(?P<info>[^\n]*)\n(?P<body>.*?)^(?P=indent)(?P=fence)[ \t]*$", re.M | re.S)
DISPLAY_MATH = re.compile(r"\\\[(.+?)\\\]", re.S)
INLINE_MATH = re.compile(r"\\\((.+?)\\\)", re.S)
HEADING = re.compile(r"^(#{2,3}) (.+?)\s*$", re.M)
HEADING_ID = re.compile(r"\s*\{:?\s*#([\w-]+)[^}]*\}$")
LINK_TARGET = re.compile(r"\]\(([^)\s]+\.md)(?:#[^)]*)?\)")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
LATIN = re.compile(r"[A-Za-z]")


def split(path: Path) -> tuple[dict, str]:
    text = path.read_text(encoding="utf-8")
    match = FRONT_MATTER.match(text)
    if match is None:
        return {}, text
    return yaml.safe_load(match.group(1)) or {}, text[match.end():]


def sections(body: str) -> list[tuple[str, str]]:
    """(level, id) of every ## and ### heading outside code: an explicit {#id}, else the toc slug."""
    out = []
    for level, text in HEADING.findall(FENCE.sub("", body)):
        explicit = HEADING_ID.search(text)
        out.append((level, explicit.group(1) if explicit else slugify(text, "-")))
    return out


def section_text(body: str, section_id: str) -> str:
    """The Markdown of one ## section (up to the next ## heading)."""
    parts = re.split(r"^(?=## )", body, flags=re.M)
    for part in parts:
        heading = HEADING.match(part)
        if heading and sections(heading.group(0)) == [("##", section_id)]:
            return part
    return ""


def listings(body: str) -> list[str]:
    """Every fenced block that is not executed (code listings with their includes), verbatim."""
    return [m.group(0) for m in FENCE.finditer(body) if 'exec="' not in m.group("info")]


def executed(body: str) -> list[tuple[str, str]]:
    """(fence line, code) of every executed block."""
    return [(m.group("info").strip(), m.group("body")) for m in FENCE.finditer(body) if 'exec="' in m.group("info")]


def plot_texts(body: str) -> list[dict[str, str]]:
    """The text arguments of every ``to_svg`` call in the executed blocks (their source)."""
    out = []
    for _, code in executed(body):
        for node in ast.walk(ast.parse(code)):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "to_svg":
                out.append({k.arg: ast.get_source_segment(code, k.value) for k in node.keywords if k.arg})
    return out


def pitfalls(body: str) -> int:
    return len(re.findall(r"^\*\*", section_text(body, "pitfalls"), re.M))


def prose(body: str) -> str:
    """The page's words: no code, math, link targets, HTML tags, references or heading ids."""
    body = re.split(r"^## .*\{#references\}\s*$|^## References\s*$", body, flags=re.M)[0]
    body = FENCE.sub(" ", body)
    body = DISPLAY_MATH.sub(" ", INLINE_MATH.sub(" ", body))
    body = re.sub(r"`[^`\n]*`", " ", body)
    body = re.sub(r"\]\([^)]*\)", "]", body)
    body = re.sub(r"<[^>]+>|\{[:#][^}]*\}|\{: [^}]*\}", " ", body)
    return body


def cjk_share(body: str) -> float:
    text = prose(body)
    cjk, latin = len(CJK.findall(text)), len(LATIN.findall(text))
    return cjk / max(cjk + latin, 1)


def pair(page: str) -> tuple[tuple[dict, str], tuple[dict, str]]:
    zh_path = DOCS / translation(page, "zh")
    assert zh_path.is_file(), f"docs/{page} has no Chinese page docs/{translation(page, 'zh')}"
    return split(DOCS / page), split(zh_path)


def test_every_page_has_both_languages() -> None:
    """The catalog's rule: a page is only done in both languages, and no translation is an orphan."""
    english = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob("*.md") if "." not in p.stem}
    missing = sorted(p for p in english if not (DOCS / translation(p, "zh")).is_file())
    assert missing == [], f"pages without a Chinese twin: {missing}"
    for lang in TRANSLATED:
        twins = {p.relative_to(DOCS).as_posix() for p in DOCS.rglob(f"*.{lang}.md")}
        orphans = sorted(t for t in twins if t.replace(f".{lang}.md", ".md") not in english)
        assert orphans == [], f"{lang} pages without an English page: {orphans}"
    assert len(english) >= len(TERMS) + len(TOP_PAGES)


@pytest.mark.parametrize("page", TOP_PAGES)
def test_top_page_is_chinese(page: str) -> None:
    (en_meta, en), (zh_meta, zh) = pair(page)
    assert set(zh_meta) <= set(en_meta) | {"title", "summary"}
    assert CJK.search(str(zh_meta.get("title", ""))), "the title is Chinese"
    assert executed(zh) == executed(en), "the same executed blocks"
    assert [m for m in re.findall(r"<!-- glossary:[\w-]+ -->", zh)] == re.findall(r"<!-- glossary:[\w-]+ -->", en)
    share = cjk_share(zh)
    print(f"{page}: {share:.0%} Chinese")
    assert share >= MIN_CJK_SHARE


@pytest.mark.parametrize("page", TERM_PAGES)
def test_term_page_parity(page: str) -> None:
    term = TERMS[Path(page).stem]
    (_, en), (zh_meta, zh) = pair(page)
    # front matter: the Chinese title and summary only; the rest is read from the English page
    assert set(zh_meta) == {"title", "summary"}, f"front matter keys: {sorted(zh_meta)}"
    assert zh_meta["title"] == term.zh[0], "the title is the term's first zh: name"
    assert CJK.search(zh_meta["summary"]), "the summary is Chinese"
    assert sections(zh) == sections(en), "the same sections, with the English ids, in the same order"
    assert listings(zh) == listings(en), "the same code listings"
    assert executed(zh) == executed(en), "the same executed blocks, character for character"
    for texts in plot_texts(en):  # each plot says in Chinese what it shows, on the Chinese page
        assert "alt_zh" in texts and CJK.search(texts["alt_zh"]), texts.get("alt")
        assert ("caption" in texts) == ("caption_zh" in texts), texts.get("alt")
        assert "caption_zh" not in texts or CJK.search(texts["caption_zh"])
    assert DISPLAY_MATH.findall(zh) == DISPLAY_MATH.findall(en), "the same display formulas, in order"
    assert Counter(INLINE_MATH.findall(zh)) == Counter(INLINE_MATH.findall(en)), "the same inline formulas"
    assert set(LINK_TARGET.findall(zh)) == set(LINK_TARGET.findall(en)), "links to the same pages"
    assert pitfalls(zh) >= pitfalls(en) > 0
    assert len(fenced_blocks(zh)) == len(fenced_blocks(en))
    share = cjk_share(zh)
    print(f"{page}: {share:.0%} Chinese")
    assert share >= MIN_CJK_SHARE, f"prose only {share:.0%} Chinese"


def test_parity_checks_catch_a_difference() -> None:
    """The helpers above see what they are meant to see (a check that cannot fail proves nothing)."""
    en = "## Formulas\n\n\\[a\\]\n\nText \\(x\\).\n\n## Pitfalls\n\n**One.** x\n\n**Two.** y\n"
    zh = "## 公式 {#formulas}\n\n\\[a\\]\n\n文字 \\(x\\)。\n\n## 常见陷阱 {#pitfalls}\n\n**一。** 甲\n"
    assert sections(zh) == sections(en) == [("##", "formulas"), ("##", "pitfalls")]
    assert pitfalls(en) == 2 and pitfalls(zh) == 1
    assert cjk_share(zh) == 1.0 and cjk_share(en) == 0.0
    plot = '```python exec="on" html="1" id="p"\nprint(to_svg(fig, "n", alt="A curve", alt_zh="一条曲线"))\n```\n'
    assert executed(plot.replace("一条曲线", "曲线")) != executed(plot)  # every character counts
    assert plot_texts(plot) == [{"alt": '"A curve"', "alt_zh": '"一条曲线"'}]


def test_pinyin_order_and_initials() -> None:
    """The Chinese A-Z files a name under its pinyin initial, read in context (长 is cháng in 长短期,
    zhǎng alone), and a name that starts in Latin letters under that letter; order is by pinyin."""
    from site_tools.i18n import initial, pinyin_key

    assert [initial(n) for n in ("长短期记忆网络", "超参数", "Sigmoid 函数", "KL 散度", "F1 值", "交叉熵")] == \
        ["C", "C", "S", "K", "F", "J"]
    names = ["超参数", "交叉熵", "长短期记忆网络", "Sigmoid 函数", "双曲正切函数", "池化"]
    # letter by letter: chang2 < chao1 < chi2 < jiao1 < shuang1 < sigmoid
    assert sorted(names, key=pinyin_key) == ["长短期记忆网络", "超参数", "池化", "交叉熵", "双曲正切函数", "Sigmoid 函数"]
