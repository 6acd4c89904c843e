"""The build fails loudly: a raising exec block or a bad related slug stops a strict build."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.site.build import config_for, mkdocs

FIXTURES = Path(__file__).parent / "fixtures"

pytestmark = pytest.mark.site


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_broken_exec_block_fails_the_build(tmp_path: Path, jobs: str) -> None:
    """In one process, and with the pool (site_tools/execute.py), where the block first fails in a
    worker; twice, with the cache on: a failure is never cached."""
    config = config_for(FIXTURES / "broken-exec", tmp_path)
    for _ in range(2):
        result = mkdocs(
            "build", "--strict", "-f", str(config), "-d", str(tmp_path / "site"),
            env={"GLOSSARY_BUILD_JOBS": jobs, "GLOSSARY_EXEC_CACHE": "1"},
        )
        log = result.stdout + result.stderr
        assert result.returncode != 0, log
        # markdown-exec logs the failing block by its id, and the exception it raised
        assert "deliberately-broken" in log and "this block is broken on purpose" in log, log
        assert "Aborted with" in log and "in strict mode" in log, log


def test_an_unknown_related_slug_fails_the_build(tmp_path: Path) -> None:
    config = config_for(FIXTURES / "bad-related", tmp_path)
    result = mkdocs("build", "--strict", "-f", str(config), "-d", str(tmp_path / "site"))
    log = result.stdout + result.stderr
    assert result.returncode != 0, log
    assert "activations/lonely.md: related lists unknown slug(s) ['no-such-term']" in log, log
