"""`mkdocs serve --dirty`, as `python3 dev.py serve` runs it, shows fresh source AND fresh executed
output after a module is edited.

The server runs on a copy of the project in a temporary folder, so the real sources are
never touched; the hook puts that copy first on sys.path, so its snippets are the ones run.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from benchmarks.build import copy_project  # what a build reads, at a new path

pytestmark = pytest.mark.site

PAGE = "activations/sigmoid/"
OLD = "    return map_blocks(sigmoid_block, np.empty(x.shape, x.dtype), x, scratch=1)\n"  # the last line of sigmoid()
NEW = "    return np.full(x.shape, 0.125, x.dtype)  # edited while serving\n"
OLD_BACKWARD = "        np.multiply(g, e, out=dx)\n"  # the last step of sigmoid_backward's block
NEW_BACKWARD = "        np.multiply(g, 0.0, out=dx)  # edited while serving\n"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def fetch(url: str) -> str | None:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.read().decode("utf-8")
    except OSError:
        return None


def wait_for(url: str, condition, timeout: float, server: subprocess.Popen) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert server.poll() is None, "mkdocs serve exited"
        html = fetch(url)
        if html is not None and condition(html):
            return html
        time.sleep(0.5)
    raise AssertionError(f"{url} did not show the expected content within {timeout} s")


def test_serve_reexecutes_edited_snippets(tmp_path: Path) -> None:
    project = copy_project(tmp_path / "project", exec_cache=True)  # start warm: the edits are under test
    module = project / "snippets" / "activations" / "sigmoid.py"
    assert OLD in module.read_text(encoding="utf-8") and OLD_BACKWARD in module.read_text(encoding="utf-8")

    port = free_port()
    url = f"http://127.0.0.1:{port}/{PAGE}"
    log = (tmp_path / "serve.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "mkdocs", "serve", "--dirty", "--dev-addr", f"127.0.0.1:{port}"],
        cwd=project, stdout=log, stderr=subprocess.STDOUT,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "GLOSSARY_EXEC_CACHE": "1"},  # as dev.py serve
    )
    try:
        before = wait_for(url, lambda html: "0.9526" in html, 900, server)
        assert "edited while serving" not in before
        module.write_text(module.read_text(encoding="utf-8").replace(OLD, NEW).replace(OLD_BACKWARD, NEW_BACKWARD),
                          encoding="utf-8")
        # the shown source and the executed output of the worked example both change
        after = wait_for(url, lambda html: "edited while serving" in html, 900, server)
        assert "[0.125 0.125 0.125 0.125 0.125]" in after
        assert "0.9526" not in after
        # a page that only calls sigmoid_backward in a plot (no source of it shown) is fresh too: with
        # sigmoid_backward edited to return zeros, its dashed curve (series 3) is a flat line
        relu = wait_for(f"http://127.0.0.1:{port}/activations/relu/", lambda html: True, 60, server)
        curve = re.search(r'<path d="([^"]+)"[^>]*stroke: var\(--gl-plot-3\)', relu)
        assert curve is not None
        heights = {float(y) for y in re.findall(r"[ML] [\d.]+ ([\d.]+)", curve.group(1))}
        assert len(heights) == 1, f"σ′ is not flat: {sorted(heights)[:5]}"
    finally:
        server.terminate()
        server.wait(timeout=30)
        log.close()
