"""What the benchmark scripts print and write: plain-text tables and the results JSON (one place for all of them)."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path


def table(columns: Sequence[tuple[str, str]], rows: Sequence[dict], fmt: Callable[[object], str] = str) -> str:
    """``rows`` under the headers of ``columns`` (``(key, header)`` pairs); numeric columns are
    right-aligned, and ``fmt`` turns each value into its cell text."""
    cells = [[h for _, h in columns]] + [[fmt(row.get(k, "")) for k, _ in columns] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    numeric = [
        all(isinstance(row.get(k), (int, float)) and not isinstance(row.get(k), bool) for row in rows)
        for k, _ in columns
    ]
    lines = []
    for j, r in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if numeric[i] else c.ljust(w) for i, (c, w) in enumerate(zip(r, widths))).rstrip())
        if j == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def write_json(path: Path, result: dict) -> None:
    """Write ``result`` to ``path`` (creating its folder) and say so."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"\nwrote {path}")
