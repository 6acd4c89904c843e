"""Benchmark results (benchmarks/results/*.json) as Markdown, for the Performance page.

Each JSON file, written by a script in benchmarks/, holds ``title``, ``machine`` (what it ran
on), ``columns`` (``[key, header]`` pairs) and ``rows`` (dicts keyed by column), plus extras
such as ``goals`` or ``fit``. The page never measures anything itself: a build only reads these
files, so two builds of the same checkout are identical and a build stays fast.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from site_tools import search

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "benchmarks" / "results"

# Printed around the measured figures on the Performance page: the search index leaves them out.
# Nobody searches for "0.085", and each re-measurement changed the index's words. One such change
# (numbers only, on this page) made Material's search worker (lunr) fail on every query starting
# with "z": "Cannot read properties of undefined (reading '_index')" while expanding "z*".
SEARCH_EXCLUDED_OPEN, SEARCH_EXCLUDED_CLOSE = search.SEARCH_EXCLUDED_OPEN, search.SEARCH_EXCLUDED_CLOSE


def load(name: str) -> dict[str, Any]:
    """The results of ``benchmarks/<name>.py``, as written to ``benchmarks/results/<name>.json``."""
    path = RESULTS / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: run `python3 dev.py bench` to measure and write it")
    return json.loads(path.read_text(encoding="utf-8"))


def cell(value: Any) -> str:
    """One table cell: floats with three significant digits, lists as AxB shapes, | escaped."""
    if isinstance(value, bool) or value is None:
        text = "" if value is None else str(value)
    elif isinstance(value, float):
        text = f"{value:.3g}"
    elif isinstance(value, (list, tuple)):
        text = "×".join(str(v) for v in value)
    else:
        text = str(value)
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(result: dict[str, Any], columns: list[str] | None = None) -> str:
    """The result's rows as a Markdown table (all its columns, or the keys given, in that order)."""
    headers = dict(result["columns"])
    keys = columns or [key for key, _ in result["columns"]]
    lines = ["| " + " | ".join(headers[key] for key in keys) + " |", "|" + "---|" * len(keys)]
    for row in result["rows"]:
        lines.append("| " + " | ".join(cell(row.get(key)) for key in keys) + " |")
    return "\n".join(lines)


def machine_line(result: dict[str, Any]) -> str:
    """Where and with what the numbers were measured, in one sentence."""
    machine = result.get("machine", {})
    parts = [f"{key} {value}" for key, value in machine.items()]
    return "Measured with " + ", ".join(parts) + "." if parts else ""
