"""The offline bundle (`python3 dev.py bundle`, site_tools/bundle.py), as a reader without a network
meets it: the zip unpacked and opened from the file system in Chromium, and the cheat sheet's PDF."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import unicodedata
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_tools.bundle import version
from site_tools.catalog import load_terms
from site_tools.render import ORIGINAL_CHEAT_SHEET
from tests.browser.conftest import Tab, chromium_path, unavailable
from tests.browser.search import search

pytestmark = pytest.mark.site

TERMS = load_terms()
ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture(scope="module")
def bundle(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``python -m site_tools.bundle --out DIR``, run once; returns DIR."""
    chromium = chromium_path()
    if chromium is None:
        unavailable("Chromium is not installed")
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run([sys.executable, "-m", "site_tools.bundle", "--out", str(out), "--chromium", chromium],
                          cwd=ROOT, capture_output=True, text=True, env={**os.environ, "NO_MKDOCS_2_WARNING": "1"})
    assert done.returncode == 0, done.stdout + done.stderr
    return out


@pytest.fixture(scope="module")
def unpacked(bundle: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The zip unpacked; returns its one top folder."""
    archive = bundle / f"dl-glossary-offline-{version()}.zip"
    target = tmp_path_factory.mktemp("unzipped")
    with zipfile.ZipFile(archive) as zipped:
        assert {name.split("/", 1)[0] for name in zipped.namelist()} == {f"dl-glossary-{version()}"}
        zipped.extractall(target)
    return target / f"dl-glossary-{version()}"


@pytest.fixture
def file_tab(browser) -> Iterator[Tab]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = Tab(context.new_page())
    yield tab
    context.close()


def leaving_the_machine(tab: Tab) -> list[str]:
    return [url for url in tab.requests if not url.startswith(("file:", "data:", "blob:", "about:"))]


def test_the_unzipped_site_searches_in_english_and_chinese_from_the_file_system(unpacked: Path, file_tab: Tab) -> None:
    base = unpacked.as_uri() + "/"
    page = file_tab.page
    page.goto(base + "index.html")
    for query, slug in [("sigmoid", "sigmoid"), ("ReLU", "relu"), ("交叉熵", "cross-entropy"), ("梯度下降", "gradient-descent")]:
        paths = search(page, base, query)
        assert paths[:1] == [TERMS[slug].page.removesuffix(".md") + ".html"], (query, paths[:3])
    # a page one folder down: the worker shim and the lunr files resolve from there too
    page.goto(base + "activations/sigmoid.html")
    assert search(page, base, "softmax")[:1] == ["activations/softmax.html"]
    assert leaving_the_machine(file_tab) == []
    assert file_tab.errors == []


def test_the_unzipped_site_has_its_plots_math_navigation_and_downloads(unpacked: Path, file_tab: Tab) -> None:
    base = unpacked.as_uri() + "/"
    page = file_tab.page
    page.goto(base + "activations/sigmoid.html")
    assert page.locator("svg.gl-plot").count() >= 1
    assert page.locator("math").count() >= 10
    download = page.locator("a[download]").first.get_attribute("href")
    assert (unpacked / "activations" / download).is_file()
    page.locator("nav.md-nav--primary a.md-nav__link", has_text="A–Z index").first.click()
    page.wait_for_url(base + "a-z.html")
    page.locator("a", has_text="Cross-entropy").first.click()
    page.wait_for_url(base + "losses/cross-entropy.html")
    page.goto(base + "cheat-sheet.html")
    assert page.locator(".gl-card").count() == len(TERMS)
    assert leaving_the_machine(file_tab) == []
    assert file_tab.errors == []


def test_the_unzipped_chinese_edition_searches_its_own_pages(unpacked: Path, file_tab: Tab) -> None:
    base = unpacked.as_uri() + "/zh/"
    page = file_tab.page
    page.goto(base + "activations/sigmoid.html")
    assert page.locator("html").get_attribute("lang") == "zh"
    for query, slug in [("交叉熵", "cross-entropy"), ("ReLU", "relu"), ("批量规范化", "batch-normalization")]:
        paths = search(page, base, query)
        assert paths[:1] == [TERMS[slug].page.removesuffix(".md") + ".html"], (query, paths[:3])
    # the language selector leads to the English twin, on disk too
    english = page.locator('a[hreflang="en"]').first.get_attribute("href")
    assert (unpacked / "zh" / "activations" / english).resolve() == (unpacked / "activations" / "sigmoid.html").resolve()
    assert leaving_the_machine(file_tab) == []
    assert file_tab.errors == []


def pdf_pages(bundle: Path, name: str = "dl-glossary-cheat-sheet.pdf") -> list[str]:
    from pypdf import PdfReader

    reader = PdfReader(bundle / name)
    # NFKC: the PDF's text has ligatures (ﬁ) and CJK radicals (⽅) where the page has fi and 方
    return [" ".join(unicodedata.normalize("NFKC", page.extract_text()).split()) for page in reader.pages]


def test_the_cheat_sheet_pdf_has_every_term_on_at_most_eight_pages(bundle: Path) -> None:
    pages = pdf_pages(bundle)
    assert 1 <= len(pages) <= 8, len(pages)
    text = " ".join(pages)
    missing = [term.title for term in TERMS.values() if term.title not in text]
    assert missing == []
    # the 2016 cheat sheet's terms, all on the first page
    assert [TERMS[slug].title for slug in ORIGINAL_CHEAT_SHEET if TERMS[slug].title not in pages[0]] == []


def require_chinese_font() -> None:
    fonts = subprocess.run(["fc-list", ":lang=zh", "family"], capture_output=True, text=True).stdout
    if not fonts.strip():
        unavailable("no font with Chinese glyphs (Debian: apt-get install fonts-noto-cjk), so the PDF shows boxes")


# a CJK font maps some glyphs back to a radical when text is extracted (门 -> U+2EED, which NFKC
# leaves alone): a character of a name matches itself or any radical
RADICAL = "[\u2e80-\u2eff\u2f00-\u2fdf]"


def printed(name: str, text: str) -> bool:
    """Whether ``name`` is in the PDF's extracted ``text`` (spaces removed from both)."""
    return re.search("".join(f"(?:{re.escape(c)}|{RADICAL})" for c in name.replace(" ", "")), text) is not None


def test_the_cheat_sheet_pdf_prints_the_chinese_names(bundle: Path) -> None:
    require_chinese_font()
    text = "".join(pdf_pages(bundle)).replace(" ", "")
    assert [term.zh[0] for term in TERMS.values() if not printed(term.zh[0], text)] == []


def test_the_chinese_cheat_sheet_pdf_has_every_term(bundle: Path) -> None:
    require_chinese_font()
    pages = pdf_pages(bundle, "dl-glossary-cheat-sheet.zh.pdf")
    assert 1 <= len(pages) <= 8, len(pages)
    text = "".join(pages).replace(" ", "")
    assert [t.zh[0] for t in TERMS.values() if not printed(t.zh[0], text)] == []
    assert [t.title for t in TERMS.values() if not printed(t.title, text)] == []  # the English name on each card
