"""Two builds of the same sources give byte-identical sites (no dates, no random ids, no timings).

The first build (the session's ``site`` fixture) runs the code blocks in a pool of processes, or takes
them from the execution cache (site_tools/execute.py); the second runs them all in the build process,
in page order, with the cache off. Equal bytes show that a build is reproducible, and that neither the
pool nor the cache changes a byte.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from tests.site.build import mkdocs

pytestmark = pytest.mark.site


def digests(root: Path) -> dict[str, str]:
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(root.rglob("*"))
        if path.is_file()
    }


def test_two_builds_are_byte_identical(site: Path, tmp_path: Path) -> None:
    result = mkdocs("build", "--strict", "-d", str(tmp_path / "again"), env={"GLOSSARY_BUILD_JOBS": "1", "GLOSSARY_EXEC_CACHE": "0"})
    assert result.returncode == 0, result.stderr
    first, second = digests(site), digests(tmp_path / "again")
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == [], f"files that differ between two builds: {differing}"
