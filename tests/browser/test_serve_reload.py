"""The contributor's loop as a contributor sees it: ``mkdocs serve --dirty`` (what ``python3 dev.py
serve`` runs) on a copy of the project, a page open in Chromium, and an edit saved. Live reload
shows the change in the open page, with no navigation: a prose edit, then an edit to a module whose
output the page prints. Nothing is requested from outside this machine. How fast is measured by
benchmarks/build.py, not here."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.browser.conftest import open_tab
from benchmarks.build import copy_project  # what a build reads, at a new path
from tests.site.test_serve import free_port, wait_for

pytestmark = [pytest.mark.site, pytest.mark.browser]


def test_an_open_page_follows_prose_and_module_edits(browser, tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", exec_cache=True)  # start warm: the edits are under test
    port = free_port()
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dirty", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "GLOSSARY_EXEC_CACHE": "1"},
    )
    context, tab = open_tab(browser, "dark")
    try:
        url = f"http://127.0.0.1:{port}/activations/sigmoid/"
        wait_for(url, lambda html: "0.9526" in html, 900, server)  # the first (cold) build is done
        page = tab.page
        page.goto(url)
        page.wait_for_selector("figure.gl-figure svg")

        source = project / "docs" / "activations" / "sigmoid.md"
        marker = "A sentence saved while the page was open."
        source.write_text(source.read_text(encoding="utf-8").replace("## Formulas", f"{marker}\n\n## Formulas", 1),
                          encoding="utf-8")
        # (document.body is null for a moment while live reload loads the page again)
        page.wait_for_function("m => document.body?.innerText.includes(m)", arg=marker, timeout=120_000)

        module = project / "snippets" / "activations" / "sigmoid.py"
        module.write_text(module.read_text(encoding="utf-8").replace(
            "    return map_blocks(sigmoid_block, np.empty(x.shape, x.dtype), x, scratch=1)\n",
            "    return np.full(x.shape, 0.125, x.dtype)  # edited while the page was open\n"), encoding="utf-8")
        page.wait_for_function("() => document.body?.innerText.includes('[0.125 0.125 0.125 0.125 0.125]')",
                               timeout=300_000)
        text = page.inner_text("body")
        assert "edited while the page was open" in text  # the included source is fresh too
        assert "0.9526" not in text
        assert marker in text
        assert tab.outside_requests() == []
    finally:
        context.close()
        server.terminate()
        server.wait(timeout=30)
        log.close()
