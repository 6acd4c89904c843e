from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import settings

# No per-example deadline: the machines are shared and a slow example is not a wrong one.
# In CI the examples are derived from each test's name (derandomize), so a run is reproducible;
# locally they are random, so new corners keep being explored.
settings.register_profile("local", deadline=None)
settings.register_profile("ci", deadline=None, derandomize=True)
settings.load_profile("ci" if os.environ.get("CI") else "local")

from tests.site.build import mkdocs


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real site, built once per test session with ``mkdocs build --strict`` (tests/site, tests/browser)."""
    out = tmp_path_factory.mktemp("site")
    result = mkdocs("build", "--strict", "-d", str(out))
    assert result.returncode == 0, f"strict build failed:\n{result.stdout}\n{result.stderr}"
    return out


def pytest_sessionfinish(session: pytest.Session) -> None:
    """A worker hands the search queries it recorded to the controller, which prints the hit rate."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None:
        from tests.browser.search import RESULTS

        workeroutput["search_results"] = [list(result) for result in RESULTS]


@pytest.hookimpl(optionalhook=True)  # pytest-xdist's hook, called in the controller
def pytest_testnodedown(node, error) -> None:
    from tests.browser.search import RESULTS

    RESULTS.extend(tuple(result) for result in getattr(node, "workeroutput", {}).get("search_results", []))


def pytest_terminal_summary(terminalreporter) -> None:
    """Print the search hit rate when the browser search tests ran."""
    from tests.browser.search import summary

    text = summary()
    if text:
        terminalreporter.write_sep("-", "search")
        terminalreporter.write_line(text)
