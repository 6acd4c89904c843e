"""The published benchmark results (benchmarks/results/*.json) and their rendering on the
Performance page (site_tools/results.py)."""

from __future__ import annotations

import pytest

from site_tools import results

NAMES = ["build", "reader", "snippets"]


@pytest.mark.parametrize("name", NAMES)
def test_results_have_the_shape_the_page_reads(name: str) -> None:
    result = results.load(name)
    keys = [key for key, _ in result["columns"]]
    assert result["title"] and result["machine"]["cpu_count"] >= 1
    assert result["rows"], f"{name}.json has no rows"
    for row in result["rows"]:
        assert set(row) <= set(keys), set(row) - set(keys)


def test_every_ratio_above_two_carries_a_reason() -> None:
    # the note is "<reference>" alone, or "<reference>; <why our code is slower>"
    for row in results.load("snippets")["rows"]:
        if row["ratio"] > 2.0:
            reference, _, reason = row["note"].partition("; ")
            assert len(reason) > 20, f"{row['case']} ({row['dtype']}): ratio {row['ratio']} without a reason"


def test_markdown_table_escapes_and_formats_cells() -> None:
    table = results.markdown_table({
        "columns": [["a", "A"], ["b", "B"], ["c", "C"]],
        "rows": [{"a": "x|y", "b": 0.123456, "c": [4096, 1024]}, {"a": None, "b": True}],
    })
    assert table.splitlines() == ["| A | B | C |", "|---|---|---|", "| x\\|y | 0.123 | 4096×1024 |", "|  | True |  |"]


def test_a_missing_result_says_how_to_make_it() -> None:
    with pytest.raises(FileNotFoundError, match="dev.py bench"):
        results.load("no-such-benchmark")
