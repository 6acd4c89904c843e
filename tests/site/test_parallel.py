"""site_tools.parallel: how many processes a build uses. That a two-process build gives the
one-process site byte for byte is tests/site/test_reproducible.py; that an error on the helper's
page still fails the build is tests/site/test_failures.py."""

from __future__ import annotations

import pytest

from site_tools import parallel


@pytest.mark.parametrize(("value", "expected"), [("1", 1), ("2", 2), (" 2 ", 2), ("8", 2)])
def test_jobs_reads_the_environment_and_uses_at_most_two(monkeypatch, value: str, expected: int) -> None:
    monkeypatch.setenv("GLOSSARY_BUILD_JOBS", value)
    assert parallel.jobs() == expected


@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_jobs_rejects_what_is_not_a_positive_integer(monkeypatch, value: str) -> None:
    monkeypatch.setenv("GLOSSARY_BUILD_JOBS", value)
    with pytest.raises(ValueError, match="GLOSSARY_BUILD_JOBS must be a positive integer"):
        parallel.jobs()


def test_jobs_defaults_to_the_cores(monkeypatch) -> None:
    monkeypatch.delenv("GLOSSARY_BUILD_JOBS", raising=False)
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 1)
    assert parallel.jobs() == 1
    monkeypatch.setattr(parallel.os, "cpu_count", lambda: 2)
    assert parallel.jobs() == 2


def test_only_python_pages_without_pycon_are_shared() -> None:
    page = 'Text\n\n```python exec="on" id="x"\nprint(1)\n```\n'
    assert parallel.EXECUTED.search(page) and not parallel.PYCON.search(page)
    assert not parallel.EXECUTED.search('```python\nprint(1)\n```\n')  # shown, not executed
    assert parallel.PYCON.search('```pycon exec="on"\n>>> 1\n```\n')
