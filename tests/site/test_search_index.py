"""What the search index leaves out (site_tools/search.py: leave_out_of_index and the generated
sections): code, MathML and the sections nobody searches, so the browser builds it fast."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from site_tools.catalog import load_terms
from site_tools.search import UNSEARCHED_SECTIONS, leave_out_of_index

TERMS = load_terms()


def test_code_file_names_math_and_unsearched_sections_are_marked() -> None:
    html = ('<h2 id="formulas">F</h2><h2 id="intuition">I</h2><pre><code>x</code></pre>'
            '<math alttext="x"><mi>x</mi></math><span class="filename">a.py</span><span class="n">y</span>')
    assert leave_out_of_index(html) == (
        '<h2 data-search-exclude id="formulas">F</h2><h2 id="intuition">I</h2>'
        '<pre data-search-exclude><code>x</code></pre><math data-search-exclude alttext="x"><mi>x</mi></math>'
        '<span data-search-exclude class="filename">a.py</span><span class="n">y</span>'
    )


@pytest.mark.site
def test_the_index_holds_prose_not_code_math_or_boilerplate(site: Path) -> None:
    docs = json.loads((site / "search" / "search_index.json").read_text(encoding="utf-8"))["docs"]
    locations = {doc["location"] for doc in docs}
    for term in TERMS.values():
        url = term.page.removesuffix(".md") + "/"
        assert url in locations, term.slug  # the names and the definition stay
        assert not any(f"{url}#{section}" in locations for section in UNSEARCHED_SECTIONS), term.slug
    text = " ".join(doc["text"] for doc in docs)
    assert "<pre>" not in text and "snippets/activations/sigmoid.py" not in text
    assert "Copying this code" not in text and "ready to drop into a project" not in text
    intuition = next(doc for doc in docs if doc["location"] == "activations/softmax/#intuition")
    assert "temperature" in intuition["text"]  # the prose of a kept section is searchable
    assert not any(doc["location"].startswith("a-z/") for doc in docs)  # every name again, as a list
