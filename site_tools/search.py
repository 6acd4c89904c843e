"""What the search index holds for a term's names, so that typing a name brings up its page first.

Material's search (lunr.js) appends ``*`` to every query word and scores a page by summing, over
every indexed word the query word is a prefix of, ``idf x saturated term frequency x field
boost`` (no length normalisation: ``b = 0``). Left alone, that ranks a term below its neighbours
whenever its name is part of theirs:

- "gradient" also matches "gradients" and "vanishing gradient" on other pages, and a rarer word
  has a higher idf, so the page whose name *is* the query loses;
- the worker splits a Chinese query into words of the index, but never tries a substring that
  ends at the query's last character: with 梯度 a known word, "梯度下降" is looked up as "梯度*".

So each term page gets three extra fields (see ``FIELDS``):

- ``names``: for every word of every name, one *marker*: the word plus ``_<page tag>`` (the page's
  number written in letters, see ``page_tag``). A
  query word that starts a name word also starts its marker, and every marker belongs to one
  page, so all markers have the same idf; what differs is the frequency, which says how short the
  name is (``LEVELS`` for a one-word name, one less per extra word; a Han character counts as
  half a word). The page whose name is exactly what was typed therefore comes first. Of a page's
  words that extend one another ("soft", "softmax") only the longest gets a marker, so one query
  word never counts twice on one page;
- ``misspellings``: as written, boosted below the names (they only have to be found);
- ``stems``: a Chinese run of a name minus its last character, when a proper prefix of the run
  is a word of the index (else the worker splits the query there); the query then becomes that
  stem, which belongs to this term alone. Its boost is negligible: it only has to be a word.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

LEVELS = 4

# ---------------------------------------------------------------------------------------------
# What the index leaves out. Material's indexer skips any element with ``data-search-exclude``
# (a heading with it drops its whole section). Every indexed word costs each reader time: the
# search worker builds its index in the browser after every page load, and at 369 term pages that
# took 0.7 s of a 2-core machine for 1.8 MB of text (lunr's Builder.add alone 0.24 s, in
# proportion to the words). What a term page keeps: its names and definition (the top) and
# Intuition, the section that says in words what a term does. Left out:
# - code listings and printed output (<pre>, with the listing's file name): half of the text; a
#   function's name is still found where the prose mentions it;
# - formulas as MathML (run-together symbols such as "dσdx=σ(x)(1−σ(x))");
# - whole sections whose words nobody searches a glossary for, and whose headings are the same on
#   every page: Formulas (glue between formulas, "so for an upstream gradient of shape ..."),
#   Implementation (a few sentences between listings), Worked example, Live check, Related terms
#   (other pages' summaries, which made a page a hit for its neighbours' names), References
#   (authors and paper titles) and Pitfalls. Pitfalls was kept until 131 terms: it was 43 % of the
#   indexed text, and at 431 term pages the first query after a page load took 0.51 s (goal 0.3 s);
#   no query of the two browser suites needed it (each term's names carry what a reader types);
# - the A-Z pages (front matter ``search: exclude``): every name again, 7 % of the words, and a
#   result that only lists the page the reader wanted.
# Around generated Markdown: SEARCH_EXCLUDED_OPEN/CLOSE (md_in_html), SEARCH_EXCLUDED_HEADING.
SEARCH_EXCLUDED_OPEN = '<div data-search-exclude markdown="1">\n'
SEARCH_EXCLUDED_CLOSE = "\n</div>"
SEARCH_EXCLUDED_HEADING = "{: data-search-exclude }"  # attr_list, after a heading's text
UNSEARCHED_SECTIONS = ("formulas", "implementation", "worked-example", "live-check", "pitfalls", "related-terms", "references")
_UNSEARCHED = re.compile(
    r'<(pre|math)\b|<(span)(?= class="filename")|<(h2)(?= id="(?:%s)")' % "|".join(UNSEARCHED_SECTIONS)
)


_PRISTINE_SEGMENTER: tuple[dict[str, int], int] | None = None


def fresh_segmenter() -> None:
    """Put jieba's dictionary back as it was before any user dictionary was loaded.

    Material's search plugin loads our user dictionary (``jieba_dict_user``) in every ``on_config``,
    into jieba's one global tokenizer, and each load adds the words' frequencies to its total again.
    A larger total favours longer words ("求出" instead of "求 出"), so the Chinese index came out
    differently in the second edition of a build, and again after every ``serve`` rebuild. Called
    before each ``on_config`` of the search plugin, this makes every build segment as the first did.
    """
    global _PRISTINE_SEGMENTER
    try:
        import jieba
    except ImportError:  # search then indexes Chinese unsegmented; nothing to reset
        return
    tokenizer = jieba.dt
    tokenizer.check_initialized()
    if _PRISTINE_SEGMENTER is None:
        _PRISTINE_SEGMENTER = (dict(tokenizer.FREQ), tokenizer.total)
    freq, total = _PRISTINE_SEGMENTER
    tokenizer.FREQ, tokenizer.total = dict(freq), total
    tokenizer.user_word_tag_tab = {}


def leave_out_of_index(html: str) -> str:
    """``html`` with code listings, their file names, MathML and the headings of
    ``UNSEARCHED_SECTIONS`` marked ``data-search-exclude``."""
    return _UNSEARCHED.sub(lambda m: f"<{m.group(1) or m.group(2) or m.group(3)} data-search-exclude", html)


FIELDS = {
    "names": {"boost": 1e5},  # a title match is worth 1e3, body text 1
    "other_names": {"boost": 1e3},
    "stems": {"boost": 1e-3},
}

HAN = re.compile(r"[\u4e00-\u9fff]+")
# lunr's trimmer strips other leading characters, which would leave "_<n>" tokens ("∇_44" -> "_44");
# such names (σ, ∇) cannot be typed into the search box as they are anyway
WORD = re.compile(r"[\w\u4e00-\u9fff]", re.ASCII)


def tokens(text: str, separator: re.Pattern[str]) -> list[str]:
    """Split indexed text the way Material's tokenizer does (its separator, lower case)."""
    return [t for t in separator.split(text.lower()) if t]


IDENTIFIER_PARTS = re.compile(r"[_.]+")


def name_level(name: str, separator: re.Pattern[str]) -> int:
    """1 for a one-word name, 2 for two words, ... capped at LEVELS; a Han character is half a word,
    and the parts of an identifier count as words ("tie_word_embeddings" is three, "F.one_hot" three)."""
    han = sum(len(run) for run in HAN.findall(name))
    words = [part for word in tokens(HAN.sub(" ", name), separator) for part in IDENTIFIER_PARTS.split(word) if part]
    return min(LEVELS, max(1, math.ceil(len(words) + han / 2)))


PHRASE = "qxz"  # starts every run-together name: no typed word begins so, so only glossary.js's term reaches it
DIGIT_LETTERS = "abcdefghijklmnop"  # 0-9 (a page's number) and the hex digits a-f (a code point), as letters


def page_tag(number: int) -> str:
    """A page's number in letters (12 -> "bc"). No marker may add digits to the index: lunr's token
    set, which every query word is looked up in, merges states by a key that writes each edge's
    label next to its target's numeric id with nothing between them, so an edge labelled with a
    digit can make two different states look alike. With page numbers as digits ("method_81",
    "method_86", ...) thousands of such edges appeared, and at 131 terms the set held words that
    were never indexed ("method_8116": every query starting "method" failed with an error) and
    lacked words that were (tests/browser/test_search.py, test_the_worker_finds_every_indexed_word)."""
    return "".join(DIGIT_LETTERS[int(digit)] for digit in str(number))


def han_letters(run: str) -> str:
    """Each Chinese character as "x" and its code point in DIGIT_LETTERS ("曲" U+66F2 -> "xggpc")."""
    return "".join("x" + "".join(DIGIT_LETTERS[int(h, 16)] for h in f"{ord(ch):04x}") for ch in run)


PHRASE_CHARS = re.compile(r"[a-z0-9_\u4e00-\u9fff]+")  # glossary.js PHRASE_CHARS


def joined(name: str, separator: re.Pattern[str]) -> str | None:
    """A name run together behind PHRASE ("rectified linear unit" -> "qxzrectifiedlinearunit",
    "MI" -> "qxzmi"), as glossary.js adds it to a query: exactly, and for several Latin words also as
    a prefix. The page whose name was typed gets the most, one whose name starts with it ("gradient
    accumulation" for "gradient") a little, and no typed word reaches these markers (nothing starts
    with "qxz"). A Chinese character is written as :func:`han_letters`, so that the marker stays
    one ASCII word the worker does not segment ("P-R 曲线" -> "qxzprxggpcxholp"); a name with Chinese
    gets a marker only if it has nothing but letters, digits and Chinese characters between its
    separators, as glossary.js checks the query."""
    words = tokens(name, separator)
    if not words or not all(WORD.match(w) for w in words):
        return None
    run = "".join(words)
    if HAN.search(run) is None:
        return PHRASE + run
    if not PHRASE_CHARS.fullmatch(run):
        return None
    return PHRASE + HAN.sub(lambda m: han_letters(m.group()), run)


def vocabulary(entries: Iterable[Mapping[str, object]], separator: re.Pattern[str]) -> set[str]:
    """The Chinese words of the index (the only words the query splitter looks up)."""
    words: set[str] = set()
    for entry in entries:
        for value in entry.values():
            for text in value if isinstance(value, list) else [value]:
                if isinstance(text, str):
                    words.update(t for t in tokens(text, separator) if HAN.fullmatch(t))
    return words


def stems(runs: Iterable[str], known: set[str]) -> dict[str, str]:
    """{prefix: run} for the Chinese runs the query splitter would cut short: the run minus its last
    character, and every shorter prefix of two or more characters (a reader typing "门控线性" of
    "门控线性单元", which the splitter would cut into the known words "门控" and "线性").

    A prefix needs its stem when one of its own proper prefixes is a known word; a new stem is a
    known word too, so this repeats until nothing changes.
    """
    runs = sorted({run for run in runs if len(run) >= 2})
    added: dict[str, str] = {}
    changed = True
    while changed:
        changed = False
        for run in runs:
            for end in range(len(run) - 1, 0, -1):  # run[:-1], then the shorter prefixes
                stem, last = run[:end], end == len(run) - 1
                if stem in added or (not last and (end < 2 or stem in known)):
                    continue
                # (run[:-1] as before: also when it is a known word itself)
                if any(run[:k] in known or run[:k] in added for k in range(1, end + last)):
                    added[stem] = run
                    changed = True
    return added


def longest_words(levels: Mapping[str, int]) -> dict[str, int]:
    """Drop each word that another word of the same page extends; the longer one keeps the lower level."""
    return {
        word: min(level for other, level in levels.items() if word.startswith(other))
        for word in levels
        if not any(other != word and other.startswith(word) for other in levels)
    }


def shares_prefix(a: str, b: str) -> bool:
    """Whether one query word would plausibly match both: a shared first Chinese word (two Han
    characters) or five shared first letters ("batchnorm1d", "batchnorm2d"; not "gradcheck",
    "gradient")."""
    n = 2 if HAN.match(a) else 5
    return len(a) >= n and len(b) >= n and a[:n] == b[:n]


def split_groups(levels: Mapping[str, int]) -> tuple[dict[str, int], dict[str, int]]:
    """``(main, others)``: of a page's words that share a prefix ("批量规范化", "批量归一化"), only
    the one of the shortest name stays in ``main`` (at the group's best level; between equals, the
    one the page names first), so that a query for the prefix (批量, another term's name) counts
    this page once."""
    main: dict[str, int] = {}
    others: dict[str, int] = {}
    order = {word: i for i, word in enumerate(levels)}  # names come in the page's order: title first
    for word, level in sorted(levels.items(), key=lambda item: (item[1], len(item[0]), order[item[0]])):
        (others if any(shares_prefix(word, kept) for kept in main) else main)[word] = level
    return main, others


def markers(levels: Mapping[str, int], number: int, extended: set[str]) -> str:
    """Each word as ``word_<page tag>``, repeated ``2 * (LEVELS + 1 - level)`` times, once less
    for a word that extends another page's word ("bptt" extends "bp"): typing that shorter word,
    a reader more likely means the page it belongs to."""
    return " ".join(
        " ".join([f"{word}_{page_tag(number)}"] * (2 * (LEVELS + 1 - level) - (word in extended)))
        for word, level in levels.items()
        if WORD.match(word)
    )


def search_fields(
    terms: Mapping[str, tuple[Iterable[str], Iterable[str]]],
    known: set[str],
    segment: Callable[[str], str],
    separator: re.Pattern[str],
) -> dict[str, dict[str, str]]:
    """``{page location: {field: text}}`` for ``terms = {location: (names, misspellings)}``.

    ``segment`` splits Chinese text into words as the search plugin does for page text (jieba
    with the glossary's dictionary, words joined by U+200B); ``known`` is :func:`vocabulary` of
    the index.
    """
    terms = {location: (list(names), list(misspellings)) for location, (names, misspellings) in terms.items()}

    def word_levels(names: Iterable[str]) -> dict[str, int]:
        levels: dict[str, int] = {}
        for name in names:
            for word in tokens(segment(name), separator):
                levels[word] = min(levels.get(word, LEVELS), name_level(name, separator))
        return levels

    every_name = [name for names, misspellings in terms.values() for name in [*names, *misspellings]]
    known = known | {word for word in word_levels(every_name) if HAN.fullmatch(word)}
    cut = stems([run for name in every_name for run in HAN.findall(name)], known)
    own_words = {location: set(word_levels(names)) for location, (names, _) in terms.items()}
    owners = Counter(word for words in own_words.values() for word in words)  # pages naming each word
    fields: dict[str, dict[str, str]] = {}
    for number, location in enumerate(sorted(terms)):
        names, misspellings = terms[location]
        main, others = split_groups(longest_words(word_levels(names)))

        def foreign(word: str, location: str = location) -> bool:
            """Whether another page's names have ``word``."""
            return owners[word] > (word in own_words[location])

        # a misspelling's correctly spelled words ("gradient" of "gradient cheking") must not add,
        # and a word that is another term's ("梯度" of "梯度 下降") must not compete with it
        misspelled = {w: lv for w, lv in word_levels(misspellings).items() if w not in own_words[location]}
        # ... nor count twice for one query ("backpropogation" next to "backpropagation")
        for word, level in misspelled.items():
            crowded = foreign(word) or any(shares_prefix(word, kept) for kept in main)
            (others if crowded else main)[word] = level
        # (a single letter, "r" of "P-R 曲线", extends nothing: nobody types it to mean that page)
        extended = {word for word in own_words[location] if any(foreign(word[:end]) for end in range(2, len(word)))}
        own_runs = {run for name in [*names, *misspellings] for run in HAN.findall(name)}
        # each name also run together, outside the grouping above: it only answers a query of those
        # very words (glossary.js adds the run-together form), so it weighs as a one-word name
        phrases = {phrase: 1 for phrase in filter(None, (joined(name, separator) for name in [*names, *misspellings]))}
        fields[location] = {
            "names": " ".join(filter(None, [markers(main, number, extended), markers(phrases, number, set())])),
            "other_names": markers(others, number, extended),
            "stems": " ".join(sorted(stem for stem, run in cut.items() if run in own_runs)),
        }
    return fields
