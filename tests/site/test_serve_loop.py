"""``python3 dev.py serve`` rebuilds dirty (site_tools/incremental.py): after each kind of edit, the
site it serves is byte for byte the site a clean build of the edited sources gives, and only what
depends on the edit runs again. The edits are made, as serve's rebuilds are, in one process
(benchmarks/serve_loop.py) on a copy of the project."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from benchmarks.build import copy_project  # what a build reads, at a new path
from tests.site.build import ROOT, mkdocs
from tests.site.test_reproducible import digests

pytestmark = pytest.mark.site

EDITS = [
    # prose: only this page is converted again, and no block runs
    {"name": "prose", "path": "docs/activations/relu.md", "old": "## Intuition",
     "new": "A sentence added by the serve-loop test.\n\n## Intuition"},
    # a module: its source shown on pages, the standalone files and the outputs that use it change
    {"name": "module", "path": "snippets/activations/sigmoid.py",
     "old": "    return map_blocks(sigmoid_block, np.empty(x.shape, x.dtype), x, scratch=1)\n",
     "new": "    return np.full(x.shape, 0.125, x.dtype)  # edited by the serve-loop test\n"},
    # front matter: another page's related-terms line, the A-Z index and the abbreviations change
    {"name": "front matter", "path": "docs/activations/tanh.md", "old": "summary: ",
     "new": "summary: Edited by the serve-loop test. "},
    # a new block in a session: that session runs again
    {"name": "new block", "path": "docs/activations/relu.md", "old": "## Pitfalls",
     "new": '```python exec="on" source="block" result="text" session="relu" id="relu-serve-loop"\n'
            'print("added:", relu(np.array([-1.0, 2.5])))\n```\n\n## Pitfalls'},
]


def test_dirty_rebuilds_serve_what_a_clean_build_gives(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", exec_cache=True)  # start warm: the edits are under test
    edits = tmp_path / "edits.json"
    edits.write_text(json.dumps(EDITS), encoding="utf-8")
    env = {"SOURCE_DATE_EPOCH": "1767225600"}
    loop = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_loop", str(project), str(tmp_path / "served"), str(edits)],
        cwd=ROOT, capture_output=True, text=True, timeout=1800,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "GLOSSARY_EXEC_CACHE": "1", **env},
    )
    assert loop.returncode == 0, loop.stderr[-6000:]
    steps = {step["name"]: step for step in json.loads(loop.stdout.strip().splitlines()[-1])}
    assert steps["prose"]["blocks_run"] == 0 and steps["front matter"]["blocks_run"] == 0
    assert "activations/sigmoid.md" in steps["module"]["pages_run"]
    assert "metrics/accuracy.md" not in steps["module"]["pages_run"]
    assert steps["new block"]["pages_run"] == ["activations/relu.md"]

    # what each edition converted again (the family pages and the cheat sheet are made by the build,
    # and MkDocs converts a generated page in every build; the tags index lists every page's tags)
    def written(step: str) -> list[list[str]]:
        return [[page for page in edition if (project / "docs" / page).is_file()]
                for edition in steps[step]["converted"]]

    pages = sorted(path.relative_to(project / "docs").as_posix() for path in (project / "docs").rglob("*.md"))
    english = [page for page in pages if not page.endswith(".zh.md")]
    assert [sorted(edition) for edition in written("first build")] == [english, [p for p in pages if p not in english]]
    assert written("prose") == [["tags.md", "activations/relu.md"], ["tags.zh.md"]]
    assert written("new block") == [["tags.md", "activations/relu.md"], ["tags.zh.md"]]

    clean = mkdocs("build", "--strict", "-d", str(tmp_path / "clean"), cwd=project,
                   env={**env, "GLOSSARY_EXEC_CACHE": "0"})
    assert clean.returncode == 0, clean.stderr[-6000:]
    served, expected = digests(tmp_path / "served"), digests(tmp_path / "clean")
    assert sorted(served) == sorted(expected)
    assert [name for name in expected if served[name] != expected[name]] == []
    relu = (tmp_path / "served" / "activations" / "relu" / "index.html").read_text(encoding="utf-8")
    assert "A sentence added by the serve-loop test." in relu and "added: [0.  2.5]" in relu
    assert "Edited by the serve-loop test." in relu  # tanh's summary, in relu's related terms
