"""site_tools.execute and site_tools.depends without a site build: reading fences, what a block
depends on, when an entry stops being fresh, and the runner. The whole loop on the real site is
tests/site/test_exec_cache.py."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from markdown_exec import ExecutionError

from site_tools import depends, execute
from site_tools.depends import Dependencies
from site_tools.execute import Block, Build, fenced_blocks, key_of

PAGE = '''Intro.

```python exec="on" session="demo" id="first"
x = 1
print(x)
```

```python
print("shown, not executed")
```

!!! note
    ```python exec="on" id="nested" result="text" title="a title"
    print("inside an admonition")
    ```

~~~~python exec="1" session="demo" id="second"
```
print(x + 1)
~~~~
'''


def test_fenced_blocks_reads_what_markdown_exec_reads() -> None:
    blocks = fenced_blocks(PAGE)
    assert [(b.id, b.session) for b in blocks] == [("first", "demo"), ("nested", ""), ("second", "demo")]
    assert blocks[0].code == "x = 1\nprint(x)"
    assert blocks[1].code == 'print("inside an admonition")'  # the admonition's indent removed
    assert blocks[2].code == "```\nprint(x + 1)"  # a shorter fence inside does not close it
    assert ("title", "a title") in blocks[1].options


def test_a_key_covers_the_session_so_far() -> None:
    first, second = fenced_blocks(PAGE)[0], fenced_blocks(PAGE)[2]
    changed = Block("x = 2\nprint(x)", "first", "demo")
    assert key_of("p.md", [first, second]) != key_of("p.md", [changed, second])
    assert key_of("p.md", [first, second]) != key_of("q.md", [first, second])
    assert key_of("p.md", [first]) == key_of("p.md", [Block(first.code, first.id, first.session, 0, first.options)])


def test_from_package_import_depends_on_the_defining_module_only() -> None:
    deps = Dependencies()
    deps.add_code("import numpy as np\nfrom snippets import relu\n")
    assert "snippets/activations/relu.py" in deps.files and "snippets/_validate.py" in deps.files
    assert "snippets/activations/sigmoid.py" not in deps.files
    assert "snippets/__init__.py" not in deps.files
    assert deps.bindings == {"snippets:relu": "snippets.activations.relu:relu"}
    assert set(deps.versions) >= {"python", "numpy", "matplotlib"}


def test_imports_are_followed_through_modules() -> None:
    deps = Dependencies()
    deps.add_code("def f():\n    from snippets.activations.gelu import gelu\n    return gelu\n")  # inside a function too
    assert {"snippets/activations/gelu.py", "snippets/activations/sigmoid.py"} <= set(deps.files)


def test_the_package_itself_depends_on_all_of_it() -> None:
    deps = Dependencies()
    deps.add_code("import snippets\n")
    assert {"snippets/__init__.py", "snippets/activations/sigmoid.py", "snippets/metrics/roc_auc.py"} <= set(deps.files)


def test_libraries_count_by_their_version() -> None:
    deps = Dependencies()
    deps.add_code("from scipy.stats import mannwhitneyu\nimport json\n")
    assert deps.versions["scipy"].startswith("scipy ")
    assert "json" not in deps.versions


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A checkout of its own: package ``pkg`` (``a`` imports ``b``; the package re-exports ``f``)."""
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "__init__.py").write_text("from pkg.a import f\n")
    (tmp_path / "pkg" / "a.py").write_text("from pkg.b import g\n\ndef f():\n    return g()\n")
    (tmp_path / "pkg" / "b.py").write_text("def g():\n    return 1\n\ndef h():\n    return 2\n")
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "table.txt").write_text("3\n")
    monkeypatch.setattr(depends, "ROOT", tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    yield tmp_path
    for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[name]


def test_an_edit_to_any_module_used_makes_it_stale(tree: Path) -> None:
    deps = Dependencies()
    deps.add_code("from pkg import f\n")
    assert set(deps.files) == {"pkg/a.py", "pkg/b.py"} and deps.fresh({})
    (tree / "pkg" / "b.py").write_text("def g():\n    return 10\n")
    assert not deps.fresh({})


def test_a_name_moved_to_another_module_makes_it_stale(tree: Path) -> None:
    deps = Dependencies()
    deps.add_code("from pkg import f\n")
    (tree / "pkg" / "b.py").write_text("def g():\n    return 1\n\ndef f():\n    return 3\n")
    (tree / "pkg" / "__init__.py").write_text("from pkg.b import f\n")
    for name in [m for m in sys.modules if m == "pkg" or m.startswith("pkg.")]:
        del sys.modules[name]
    assert not deps.fresh({})


def test_data_paths_are_data_under_the_checkout(tree: Path, tmp_path_factory: pytest.TempPathFactory) -> None:
    assert depends.data_path(str(tree / "data" / "table.txt")) == tree / "data" / "table.txt"
    assert depends.data_path(str(tree / "data")) == tree / "data"
    assert depends.data_path(str(tree / "pkg" / "a.py")) is None  # modules count by import
    assert depends.data_path(str(tree / "pkg")) is None  # the import system lists package folders
    assert depends.data_path(str(tree / ".venv" / "x")) is None
    assert depends.data_path(str(tmp_path_factory.mktemp("elsewhere") / "x")) is None
    assert depends.data_path(3) is None  # a file descriptor


def run_page(build: Build, page: str, blocks: list[Block]) -> list[str]:
    build.page = page
    outputs = [build.session(block).run(block) for block in blocks]
    build.leave_page()
    return outputs


def test_a_session_runs_once_then_comes_from_the_cache_until_its_data_changes(tree: Path, tmp_path: Path) -> None:
    blocks = [
        Block(f"from pathlib import Path\nrows = Path({str(tree / 'data' / 'table.txt')!r}).read_text().split()\n"
              "print(rows)", "read", "s"),
        Block("from pkg import f\nprint(int(rows[0]) + f())", "use", "s"),
    ]
    folder = tmp_path / "cache"
    first = Build(folder, temporary=False)
    assert run_page(first, "p.md", blocks) == ["['3']\n", "4\n"]
    assert [e[0] for e in first.events] == ["ran", "ran"]

    second = Build(folder, temporary=False)
    assert run_page(second, "p.md", blocks) == ["['3']\n", "4\n"]
    assert [e[0] for e in second.events] == ["cached", "cached"]

    (tree / "data" / "table.txt").write_text("5\n")
    third = Build(folder, temporary=False)
    assert run_page(third, "p.md", blocks) == ["['5']\n", "6\n"]
    assert [e[0] for e in third.events] == ["ran", "ran"]

    # a new block at the end: the earlier ones run again for their state, then it runs
    fourth = Build(folder, temporary=False)
    more = [*blocks, Block("print(len(rows))", "more", "s")]
    assert run_page(fourth, "p.md", more) == ["['5']\n", "6\n", "1\n"]
    assert [e[0] for e in fourth.events] == ["cached", "cached", "ran", "ran", "ran"]


def test_an_error_is_reported_like_markdown_exec_and_never_cached(tree: Path, tmp_path: Path) -> None:
    block = Block("def f():\n    raise ValueError('on purpose')\nf()", "bad")
    for _ in range(2):
        build = Build(tmp_path / "cache", temporary=False)
        build.page = "p.md"
        with pytest.raises(ExecutionError) as error:
            build.session(block).run(block)
        assert "ValueError: on purpose" in str(error.value) and "<code block: p.md bad>" in str(error.value)
        assert "raise ValueError('on purpose')" in str(error.value)  # the line, from linecache
        assert execute.__file__ not in str(error.value)  # the runner's own frame is left out
    assert not list((tmp_path / "cache").glob("*.json"))


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("2", 2), (" 3 ", 3)])
def test_jobs_reads_the_environment(monkeypatch: pytest.MonkeyPatch, value: str, expected: int) -> None:
    monkeypatch.setenv("GLOSSARY_BUILD_JOBS", value)
    assert execute.jobs() == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_jobs_rejects_what_is_not_a_positive_integer(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("GLOSSARY_BUILD_JOBS", value)
    with pytest.raises(ValueError, match="GLOSSARY_BUILD_JOBS must be a positive integer"):
        execute.jobs()


def test_jobs_defaults_to_the_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("GLOSSARY_BUILD_JOBS", raising=False)
    monkeypatch.setattr(execute.os, "cpu_count", lambda: 2)
    assert execute.jobs() == 2


@pytest.mark.parametrize(("value", "expected"), [("", True), ("1", True), ("on", True), ("0", False), ("off", False)])
def test_the_cache_switch(monkeypatch: pytest.MonkeyPatch, value: str, expected: bool) -> None:
    monkeypatch.setenv("GLOSSARY_EXEC_CACHE", value)
    assert execute.cache_enabled() is expected


def test_an_unclear_cache_switch_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GLOSSARY_EXEC_CACHE", "maybe")
    with pytest.raises(ValueError, match="GLOSSARY_EXEC_CACHE must be 0 or 1"):
        execute.cache_enabled()


def test_an_edit_in_the_same_second_to_the_same_length_is_seen(tree: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """With bytecode caches checked by time and size, the second edit would run the first's code."""
    monkeypatch.setattr(sys, "dont_write_bytecode", False)  # as on a contributor's machine
    module = tree / "pkg" / "b.py"
    block = Block("from pkg.b import g\nprint(g())", "g")
    outputs = []
    for value in ("5", "7"):  # same length, well within one second
        module.write_text(f"def g():\n    return {value}\n\ndef h():\n    return 2\n")
        execute.fresh_imports(tree, ("pkg",))
        build = Build(tree / "cache", temporary=True)
        build.page = "p.md"
        outputs.append(build.session(block).run(block))
    assert outputs == ["5\n", "7\n"]


def test_a_module_edited_during_a_build_is_recorded_as_the_build_imported_it(tree: Path) -> None:
    """A module is imported once per build. When it is saved again after a page imported it, a
    later page still runs the imported version: its output must not be recorded as coming from the
    new source (it was, before the build's sources were snapshot; that left a stale cache entry)."""
    module = tree / "pkg" / "b.py"
    module.write_text("def g():\n    return 5\n\ndef h():\n    return 2\n")
    execute.fresh_imports(tree, ("pkg",))  # the build begins
    build = Build(tree / "cache", temporary=True)
    outputs = []
    for page, session in (("one.md", "one"), ("two.md", "two")):
        block = Block("from pkg.b import g\nprint(g())", session)
        build.page = page
        runner = build.session(block)
        outputs.append(runner.run(block))
        if page == "one.md":  # saved while the build goes on
            module.write_text("def g():\n    return 7\n\ndef h():\n    return 2\n")
    assert outputs == ["5\n", "5\n"]  # the module as imported
    assert not runner.dependencies.fresh({})  # so the next build runs page two again
