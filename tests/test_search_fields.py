"""What site_tools/search.py puts into each term page's search entry (the ranking itself is tested
in a real browser by tests/browser/test_search.py; these tests pin down the pieces)."""

from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from site_tools import search
from site_tools.catalog import ROOT

SEPARATOR = re.compile(r"[\s\u200b\u3000\-、。，．？！；]+")


def no_segmentation(text: str) -> str:
    return text


def search_config() -> dict:
    class Loader(yaml.SafeLoader):
        pass

    # mkdocs.yml uses !!python/name tags elsewhere in some setups; ignore any tag here
    Loader.add_multi_constructor("", lambda loader, suffix, node: None)
    config = yaml.load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"), Loader=Loader)
    (plugin,) = [p["search"] for p in config["plugins"] if isinstance(p, dict) and "search" in p]
    return plugin


def test_mkdocs_yml_declares_the_fields_with_their_boosts() -> None:
    fields = search_config()["fields"]
    for name, spec in search.FIELDS.items():
        assert fields.get(name) == spec, f"mkdocs.yml search field {name!r}: {fields.get(name)} != {spec}"


def test_the_separator_used_here_is_the_site_s() -> None:
    assert search_config()["separator"] == SEPARATOR.pattern


def test_name_level_counts_words_and_half_words_for_han() -> None:
    level = lambda name: search.name_level(name, SEPARATOR)  # noqa: E731
    assert [level("gradient"), level("vanishing gradient"), level("log-sum-exp trick")] == [1, 2, 4]
    assert [level("梯度"), level("交叉熵"), level("梯度下降"), level("交叉熵损失")] == [1, 2, 2, 3]
    assert level("S 型函数") == 3  # one word and three characters
    assert level("a b c d e f") == search.LEVELS


def test_a_stem_is_added_only_where_the_query_splitter_would_cut() -> None:
    # 梯度 is a word of the index, so the worker would look up 梯度下降 as 梯度*
    # (梯度 itself: its only proper prefix 梯 is not a word, so it is searched whole)
    assert search.stems(["梯度下降", "梯度"], known={"梯度"}) == {"梯度下": "梯度下降"}
    # nothing known: the query stays whole, no stem needed
    assert search.stems(["交叉熵"], known=set()) == {}
    # a new stem is a known word too: 学习率衰减 then needs its own
    # (学习率 is then also a prefix of 学习率衰减 that the splitter would cut, as 学习*, 率*)
    assert search.stems(["学习率", "学习率衰减"], known={"学习"}) == {
        "学习": "学习率", "学习率衰": "学习率衰减", "学习率": "学习率衰减"}
    # a reader who stops typing early: each prefix the splitter would cut is a stem too, not a known word
    assert search.stems(["门控线性单元"], known={"门控", "线性"}) == {
        "门控线性单": "门控线性单元", "门控线性": "门控线性单元", "门控线": "门控线性单元"}


def fields_for(terms: dict) -> dict:
    return search.search_fields(terms, set(), no_segmentation, SEPARATOR)


def frequencies(text: str) -> Counter:
    return Counter(text.split())


def test_markers_say_how_short_the_name_is_and_belong_to_one_page() -> None:
    fields = fields_for({
        "a/": (["gradient", "nabla"], []),
        "b/": (["vanishing gradient"], []),
    })
    a, b = frequencies(fields["a/"]["names"]), frequencies(fields["b/"]["names"])
    (a_gradient,) = [m for m in a if m.startswith("gradient_")]
    (b_gradient,) = [m for m in b if m.startswith("gradient_")]
    assert a_gradient != b_gradient  # one marker per page: equal idf for all of them
    assert a[a_gradient] > b[b_gradient]  # the one-word name weighs more
    assert all(m.rsplit("_", 1)[1] == a_gradient.rsplit("_", 1)[1] for m in a)


def test_a_word_extending_another_page_s_word_weighs_one_less() -> None:
    fields = fields_for({"a/": (["BP"], []), "b/": (["BPTT"], [])})
    a, b = frequencies(fields["a/"]["names"]), frequencies(fields["b/"]["names"])
    assert sum(a.values()) == sum(b.values()) + 1


def test_one_query_word_counts_once_per_page() -> None:
    fields = fields_for({"a/": (["soft max", "softmax", "batchnorm1d", "batchnorm2d"], [])})
    names = set(frequencies(fields["a/"]["names"]))
    # "soft" is a prefix of "softmax": only the longer word is kept (every query for one finds it)
    assert not any(m.startswith("soft_") for m in names) and any(m.startswith("softmax_") for m in names)
    # words sharing a prefix: one stays in names, the other moves to the low-boost field
    assert sum(m.startswith("batchnorm") for m in names) == 1
    assert any(m.startswith("batchnorm") for m in fields["a/"]["other_names"].split())


def test_misspellings_add_only_their_misspelled_words() -> None:
    fields = fields_for({"a/": (["gradient checking"], ["gradient cheking"]), "b/": (["gradient"], ["gradiant"])})
    a = set(frequencies(fields["a/"]["names"]))
    assert any(m.startswith("cheking_") for m in a)
    assert sum(m.startswith("gradient_") for m in a) == 1  # from the real name only
    # "gradiant" would double the page's match for "gradi..." next to "gradient": low-boost field
    assert any(m.startswith("gradiant_") for m in fields["b/"]["other_names"].split())
    assert not any(m.startswith("gradiant_") for m in fields["b/"]["names"].split())


def test_untypeable_words_get_no_marker() -> None:
    # lunr's trimmer would strip "∇" and leave a bare "_<n>" token
    fields = fields_for({"a/": (["gradient", "∇"], [])})
    assert all(m[0].isalnum() for m in fields["a/"]["names"].split())


def test_every_build_segments_chinese_as_the_first(tmp_path) -> None:
    """Material's search plugin loads the user dictionary in each on_config, and each load adds to
    jieba's frequency total (two editions per build, and every serve rebuild): fresh_segmenter puts
    the dictionary back first, so the same text is cut the same way in every build."""
    jieba = pytest.importorskip("jieba")
    from site_tools.catalog import jieba_user_dict, load_terms
    from site_tools.search import fresh_segmenter

    path = tmp_path / "user.txt"
    path.write_text(jieba_user_dict(load_terms()), encoding="utf-8")
    text = "反向传播从输出端出发、逐层向后应用链式法则，求出损失对每个参数的梯度。"

    def load() -> None:  # as Material's plugin does, from an open file (a path would be left open)
        with path.open("rb") as user:
            jieba.load_userdict(user)

    fresh_segmenter()
    load()
    first, total = list(jieba.cut(text)), jieba.dt.total
    load()
    assert jieba.dt.total > total  # what goes wrong without the reset
    fresh_segmenter()
    load()
    assert (list(jieba.cut(text)), jieba.dt.total) == (first, total)


def test_identifier_names_count_their_parts_as_words() -> None:
    level = lambda name: search.name_level(name, SEPARATOR)  # noqa: E731
    assert [level("gradient_accumulation_steps"), level("F.one_hot"), level("tie_word_embeddings")] == [3, 3, 3]


def test_a_single_letter_extends_nothing() -> None:
    # "r" of "P-R 曲线" on another page must not cost "relu" a repetition
    fields = fields_for({"a/": (["ReLU"], []), "b/": (["P-R curve"], []), "c/": (["GELU"], [])})
    a, c = frequencies(fields["a/"]["names"]), frequencies(fields["c/"]["names"])
    assert sum(a.values()) == sum(c.values())


def test_a_latin_name_is_also_indexed_run_together() -> None:
    assert search.joined("rectified linear unit", SEPARATOR) == "qxzrectifiedlinearunit"
    assert search.joined("one-by-one convolution", SEPARATOR) == "qxzonebyoneconvolution"
    assert search.joined("ReLU", SEPARATOR) == "qxzrelu"
    fields = fields_for({"a/": (["ReLU", "rectifier", "rectified linear unit"], []), "b/": (["PReLU", "parametric rectified linear unit"], [])})
    a, b = frequencies(fields["a/"]["names"]), frequencies(fields["b/"]["names"])
    (phrase,) = [m for m in a if m.startswith("qxzrectifiedlinearunit_")]
    assert a[phrase] == 2 * search.LEVELS  # typed in full, a name is as strong as a one-word name
    assert not any(m.startswith("qxzrectifiedlinearunit_") for m in b)  # b's phrase starts otherwise


def test_a_name_with_chinese_is_run_together_with_its_characters_as_letters() -> None:
    # one ASCII word the worker does not segment; U+66F2 曲 -> "xggpc", U+7EBF 线 -> "xholp"
    assert search.han_letters("曲线") == "xggpcxholp"
    assert search.joined("P-R 曲线", SEPARATOR) == "qxzprxggpcxholp"
    assert search.joined("P-R曲线", SEPARATOR) == "qxzprxggpcxholp"  # as glued queries are typed
    assert search.joined("精确率-召回率曲线", SEPARATOR) == "qxz" + search.han_letters("精确率召回率曲线")
    assert search.joined("S 型函数", SEPARATOR) == "qxzs" + search.han_letters("型函数")
    # anything but letters, digits and Chinese between the separators: no marker (the query gets none)
    assert search.joined("ℓ1 正则化", SEPARATOR) is None and search.joined("F.one_hot 编码", SEPARATOR) is None


def test_markers_add_no_digit_to_the_index() -> None:
    # lunr's token set confuses states reached by digit edges (site_tools/search.py, page_tag)
    assert [search.page_tag(n) for n in (0, 7, 12, 130)] == ["a", "h", "bc", "bda"]
    names = {f"p{i}/": (["softmax", "soft arg max", "归一化指数函数"], ["sofmax"]) for i in range(140)}
    for fields in fields_for(names).values():
        assert not any(ch.isdigit() for ch in fields["names"] + fields["other_names"]), fields


def test_glossary_js_runs_a_query_together_as_the_index_does() -> None:
    """glossary.js rebuilds the marker from the typed query; its separator and character class are
    the index's (a browser test types every name; this names the constant that drifted)."""
    js = (ROOT / "docs" / "assets" / "javascripts" / "glossary.js").read_text(encoding="utf-8")
    constant = lambda name: re.search(rf"const {name} = /(.+?)/[gu]*;", js).group(1)  # noqa: E731
    assert constant("SEPARATOR") == SEPARATOR.pattern
    assert constant("PHRASE_CHARS") == "^" + search.PHRASE_CHARS.pattern + "$"
    assert f'const PHRASE = "{search.PHRASE}"' in js
    assert f'const DIGIT_LETTERS = "{search.DIGIT_LETTERS}"' in js
