"""Two builds of the same sources give byte-identical sites (no dates, no random ids, no timings).

The first build (the session's ``site`` fixture) shares the code blocks between two processes
(site_tools/parallel.py); the second runs them all in one. Equal bytes show both that a build is
reproducible and that the two-process build produces exactly the one-process site.
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
    result = mkdocs("build", "--strict", "-d", str(tmp_path / "again"), env={"GLOSSARY_BUILD_JOBS": "1"})
    assert result.returncode == 0, result.stderr
    first, second = digests(site), digests(tmp_path / "again")
    assert sorted(first) == sorted(second)
    differing = [name for name in first if first[name] != second[name]]
    assert differing == [], f"files that differ between two builds: {differing}"
