"""The execution cache (site_tools/execute.py), on a copy of the real site:

- a cold build runs every block once (in the pool: none is left for the build process): a Chinese
  page's block whose session is the English page's, code for code, comes from the English run; a
  warm build runs none, and the two sites are byte-identical;
- after one module is edited, exactly the sessions that use it run again (counted from
  .cache/exec-log.json, against an independent reading of which blocks import which names), and
  the site equals a build of the edited sources with ``GLOSSARY_EXEC_CACHE=0``, which runs every
  block and leaves nothing in .cache/exec: no output is stale.
"""

from __future__ import annotations

import ast
import json
from pathlib import Path

import pytest

from site_tools.execute import fenced_blocks
from benchmarks.build import copy_project  # what a build reads, at a new path
from tests.site.build import mkdocs
from tests.site.test_reproducible import digests

pytestmark = pytest.mark.site

MODULE = "snippets/activations/relu.py"
OLD = "    return np.maximum(x, 0)\n"
NEW = "    return np.minimum(np.maximum(x, 0), 6.0)  # ReLU6, edited by the test\n"


def build(project: Path, out: Path, **env: str) -> dict:
    """A strict build of ``project``, with the cache on unless ``env`` says otherwise (CI exports
    GLOSSARY_EXEC_CACHE=0 for its own builds); returns the build's execution log."""
    result = mkdocs("build", "--strict", "-d", str(out), cwd=project, env={"GLOSSARY_EXEC_CACHE": "1", **env})
    assert result.returncode == 0, result.stdout + result.stderr
    return json.loads((project / ".cache" / "exec-log.json").read_text(encoding="utf-8"))


def all_blocks(project: Path) -> set[tuple[str, str]]:
    docs = project / "docs"
    return {
        (page.relative_to(docs).as_posix(), block.id)
        for page in docs.rglob("*.md")
        for block in fenced_blocks(page.read_text(encoding="utf-8"))
    }


def pairs(entries: list[dict]) -> set[tuple[str, str]]:
    return {(entry["page"], entry["id"]) for entry in entries}


def sessions(page: Path) -> dict[str, list]:
    """A page's executed blocks by session (a block without one is a session of its own)."""
    out: dict[str, list] = {}
    for i, block in enumerate(fenced_blocks(page.read_text(encoding="utf-8"))):
        out.setdefault(block.session or f"#{i}:{block.id}", []).append(block)
    return out


def run_once(project: Path) -> set[tuple[str, str]]:
    """What a cold build must run: every block of an English page, and every session of a
    translated page that is not its English twin's session block for block (none, while the parity
    test holds); the rest of a translated page is the English page's output."""
    docs = project / "docs"
    expected = set()
    for page in docs.rglob("*.md"):
        src = page.relative_to(docs).as_posix()
        parts = page.name.split(".")
        english = page.with_name(f"{parts[0]}.md") if len(parts) == 3 else None
        twin = sessions(english) if english is not None else {}
        for name, blocks in sessions(page).items():
            if english is None or twin.get(name) != blocks:
                expected |= {(src, block.id) for block in blocks}
    return expected


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_project(tmp_path_factory.mktemp("exec-cache") / "project")


@pytest.fixture(scope="module")
def cold_and_warm(project: Path, tmp_path_factory: pytest.TempPathFactory):
    out = tmp_path_factory.mktemp("sites")
    cold = build(project, out / "cold", GLOSSARY_BUILD_JOBS="2")
    warm = build(project, out / "warm")
    return out, cold, warm


def test_cold_build_runs_every_block_in_the_pool_and_warm_build_none(project: Path, cold_and_warm) -> None:
    _, cold, warm = cold_and_warm
    blocks = all_blocks(project)
    assert len(blocks) > 600
    once = run_once(project)
    # a Chinese page's blocks are its English page's (tests/test_zh_parity.py): none runs again
    assert not any(page.endswith(".zh.md") for page, _ in once)
    assert 2 * len(once) == len(blocks)
    assert pairs(cold["ran"]) == once
    assert len(cold["ran"]) == len(once), "no block ran twice"
    assert {entry["where"] for entry in cold["ran"]} == {"worker"}, "a block the pool missed ran during conversion"
    assert pairs(cold["cached"]) == blocks
    assert warm["ran"] == []
    assert pairs(warm["cached"]) == blocks


def test_cold_and_warm_sites_are_byte_identical(cold_and_warm) -> None:
    out, _, _ = cold_and_warm
    cold, warm = digests(out / "cold"), digests(out / "warm")
    assert sorted(cold) == sorted(warm)
    assert [name for name in cold if cold[name] != warm[name]] == []


def names_depending_on(project: Path, module: str) -> set[str]:
    """Public names of every snippets module that imports ``module``, directly or not (read with ast,
    independently of site_tools.depends)."""
    modules = {
        ".".join(path.relative_to(project).with_suffix("").parts): path
        for path in (project / "snippets").rglob("*.py") if path.name != "__init__.py"
    }
    imports = {
        name: {node.module for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
               if isinstance(node, ast.ImportFrom) and node.module}
        for name, path in modules.items()
    }
    users, grew = {module}, True
    while grew:
        grew = False
        for name, imported in imports.items():
            if name not in users and imported & users:
                users.add(name)
                grew = True
    names = set()
    for name in users:
        tree = ast.parse(modules[name].read_text(encoding="utf-8"))
        names |= {node.name for node in tree.body if isinstance(node, ast.FunctionDef) and not node.name.startswith("_")}
    return names


def test_a_module_edit_reruns_exactly_the_pages_that_use_it(project: Path, cold_and_warm, tmp_path: Path) -> None:
    path = project / MODULE
    text = path.read_text(encoding="utf-8")
    assert OLD in text
    path.write_text(text.replace(OLD, NEW), encoding="utf-8")
    log = build(project, tmp_path / "edited", GLOSSARY_BUILD_JOBS="2")

    names = names_depending_on(project, "snippets.activations.relu")
    assert {"relu", "relu_backward", "activation_slope"} <= names
    # a session (a block without one is its own) runs again as a whole when one of its blocks
    # imports such a name: the blocks before it run again for their state, those after it depend on it
    # (a Chinese page's session that is its English twin's takes the English output, see run_once)
    docs = project / "docs"
    once = run_once(project)
    expected_blocks = set()
    for page in docs.rglob("*.md"):
        src = page.relative_to(docs).as_posix()
        for blocks in sessions(page).values():
            if (src, blocks[0].id) not in once:
                continue
            imported = {
                alias.name for block in blocks for node in ast.walk(ast.parse(block.code))
                if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("snippets")
                for alias in node.names
            }
            # `import snippets` (the tokenization pages read every docstring as their corpus) uses
            # the package object itself, so it depends on all of it (site_tools/depends.py)
            whole = any(
                isinstance(node, ast.Import) and any(alias.name == "snippets" for alias in node.names)
                for block in blocks for node in ast.walk(ast.parse(block.code))
            )
            if whole or imported & names:
                expected_blocks |= {(src, block.id) for block in blocks}
    expected = {src for src, _ in expected_blocks}
    assert "activations/relu.md" in expected and "metrics/accuracy.md" not in expected
    assert pairs(log["ran"]) == expected_blocks
    assert {entry["page"] for entry in log["ran"]} == expected
    # they ran in the pool; conversion then took every output from the cache
    assert {entry["where"] for entry in log["ran"]} == {"worker"}
    assert pairs(log["cached"]) == all_blocks(project)

    # never stale: the same bytes as a build of the edited sources that uses no cache at all
    # (GLOSSARY_EXEC_CACHE=0: every block runs once, in the pool, into a temporary folder, and
    # nothing is added to or taken from .cache/exec)
    entries = project / ".cache" / "exec"
    before = sorted(p.name for p in entries.iterdir())
    fresh_log = build(project, tmp_path / "uncached", GLOSSARY_EXEC_CACHE="0", GLOSSARY_BUILD_JOBS="2")
    assert fresh_log["cache"] == "off" and pairs(fresh_log["ran"]) == run_once(project)
    assert {entry["where"] for entry in fresh_log["ran"]} == {"worker"}
    assert pairs(fresh_log["cached"]) == all_blocks(project)
    assert sorted(p.name for p in entries.iterdir()) == before
    incremental, uncached = digests(tmp_path / "edited"), digests(tmp_path / "uncached")
    assert [name for name in uncached if incremental.get(name) != uncached[name]] == []
    assert "6.0" in (tmp_path / "edited" / "activations" / "relu" / "index.html").read_text(encoding="utf-8")

