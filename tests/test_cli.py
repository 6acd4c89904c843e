"""`python -m snippets list | search | show`, in-process and after `pip install .` in a fresh venv."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

from site_tools.catalog import PACKAGE_CATALOG, ROOT, load_terms, package_catalog
from snippets._cli import main
from snippets._standalone import standalone_source

TERMS = load_terms()


def run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    stderr, sys.stderr = sys.stderr, err
    try:
        code = main(list(argv), out=out)
    finally:
        sys.stderr = stderr
    return code, out.getvalue(), err.getvalue()


def test_catalog_json_is_generated_from_the_pages() -> None:
    """snippets/catalog.json is not edited by hand: it must equal what the front matter gives."""
    assert PACKAGE_CATALOG.read_text(encoding="utf-8") == package_catalog(TERMS), (
        "snippets/catalog.json is stale: run  python -m site_tools.catalog"
    )


def test_list_shows_every_term_with_family_and_chinese_name() -> None:
    code, out, _ = run("list")
    lines = out.splitlines()
    assert code == 0 and len(lines) == len(TERMS)
    for term in TERMS.values():
        line = next(line for line in lines if line.split()[0] == term.slug)
        assert term.family in line and term.zh[0] in line and term.title in line


@pytest.mark.parametrize(
    ("query", "slug"),
    [("softmax", "softmax"), ("CE", "cross-entropy"), ("logistic function", "sigmoid"),
     ("交叉熵", "cross-entropy"), ("梯度", "gradient"), ("nabla", "gradient"), ("sigmod", "sigmoid"),
     ("Cross_Entropy", "cross-entropy"), ("softm", "softmax")],
)
def test_search_puts_the_named_term_first(query: str, slug: str) -> None:
    code, out, _ = run("search", *query.split())
    assert code == 0
    assert out.splitlines()[0].split()[0] == slug, out


def test_every_name_finds_its_term_first() -> None:
    for term in TERMS.values():
        for name in term.names:
            code, out, _ = run("search", name)
            assert code == 0 and out.split()[0] == term.slug, (name, out.splitlines()[:2])


def test_search_without_a_match_suggests_and_fails() -> None:
    code, out, err = run("search", "qwertyuiop")
    assert code == 1 and out == "" and "no term matches 'qwertyuiop'" in err


def test_show_prints_the_standalone_file() -> None:
    code, out, _ = run("show", "softmax")
    assert code == 0 and out == standalone_source("snippets.activations.softmax")
    # any name of the term works, Chinese included
    assert run("show", "交叉熵")[1] == standalone_source("snippets.losses.cross_entropy")


def test_show_unknown_term_exits_non_zero_with_a_suggestion() -> None:
    code, out, err = run("show", "sofmtax")
    assert code == 2 and out == ""
    assert "unknown term 'sofmtax'; did you mean: softmax" in err


def test_version() -> None:
    import snippets

    with pytest.raises(SystemExit) as exit_info:
        main(["--version"])
    assert exit_info.value.code == 0
    assert snippets.__version__


@pytest.mark.site
def test_cli_after_pip_install_in_a_fresh_venv(tmp_path: Path) -> None:
    """`pip install .` (a normal wheel, not editable) gives a working CLI with its catalog."""
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    python = env_dir / "bin" / "python"
    pip = subprocess.run(
        [str(python), "-m", "pip", "install", "--quiet", "--disable-pip-version-check", str(ROOT)],
        capture_output=True, text=True, timeout=600,
    )
    assert pip.returncode == 0, pip.stderr

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(python), "-m", "snippets", *args], capture_output=True, text=True, cwd=tmp_path,
            env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"}, timeout=60,
        )

    location = subprocess.run([str(python), "-c", "import snippets; print(snippets.__file__)"],
                              capture_output=True, text=True, cwd=tmp_path)
    assert str(env_dir) in location.stdout, "the test must use the installed copy, not the checkout"
    assert cli("list").stdout.count("\n") == len(TERMS)
    assert cli("search", "交叉熵").stdout.split()[0] == "cross-entropy"
    shown = cli("show", "sigmoid")
    assert shown.returncode == 0 and "def sigmoid(" in shown.stdout
    unknown = cli("show", "sigmiodd")
    assert unknown.returncode == 2 and "did you mean: sigmoid" in unknown.stderr
    # the wheel carries the licence
    files = subprocess.run([str(python), "-m", "pip", "show", "-f", "dl-glossary-snippets"],
                           capture_output=True, text=True).stdout
    assert "LICENSE" in files
