"""Real-browser fixtures: the built site served on 127.0.0.1 and headless Chromium via Playwright.

Chromium comes from the system (Debian: `apt-get install chromium`); Playwright never downloads a
browser here. Without Chromium or Playwright these tests skip and say how to install them;
with GLOSSARY_REQUIRE_BROWSER=1 (set by .ci/run) they fail instead, so CI always runs them.
"""

from __future__ import annotations

import functools
import http.server
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from site_tools.chromium import CHROMIUM, CHROMIUM_ARGS

LOCAL = "http://127.0.0.1:"


def chromium_path() -> str | None:
    for candidate in (os.environ.get("CHROMIUM_PATH"), CHROMIUM, shutil.which("chromium")):
        if candidate and Path(candidate).is_file():
            return candidate
    return None


def unavailable(reason: str) -> None:
    message = f"{reason}. Install it with: apt-get install chromium (and pip install -e '.[test]')"
    if os.environ.get("GLOSSARY_REQUIRE_BROWSER") == "1":
        pytest.fail(message + "; GLOSSARY_REQUIRE_BROWSER=1 forbids skipping")
    pytest.skip(message)


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """The built site on http://127.0.0.1:<free port>/ for the whole session."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"{LOCAL}{server.server_address[1]}/"
    server.shutdown()
    server.server_close()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@pytest.fixture(scope="session")
def browser():
    path = chromium_path()
    if path is None:
        unavailable("Chromium is not installed")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        unavailable("Playwright (Python) is not installed")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Tab:
    """A page plus what it did: console errors and every URL it requested."""

    def __init__(self, page) -> None:
        self.page = page
        self.requests: list[str] = []
        self.errors: list[str] = []
        page.on("request", lambda request: self.requests.append(request.url))
        page.on("console", lambda msg: self.errors.append(msg.text) if msg.type == "error" else None)
        page.on("pageerror", lambda error: self.errors.append(str(error)))

    def outside_requests(self) -> list[str]:
        return [url for url in self.requests if not url.startswith(LOCAL) and not url.startswith("data:")]


def open_tab(browser, scheme: str = "light"):
    context = browser.new_context(viewport={"width": 1280, "height": 900}, color_scheme=scheme)
    return context, Tab(context.new_page())


@pytest.fixture
def tab(browser) -> Iterator[Tab]:
    """A fresh page (own context: no cache, no stored palette) for one test."""
    context, tab = open_tab(browser)
    yield tab
    context.close()


@pytest.fixture(scope="session")
def search_tab(browser, base_url: str) -> Iterator[Tab]:
    """One page for all search queries: the search index is built once, as for a reader."""
    context, tab = open_tab(browser)
    tab.page.goto(base_url)
    yield tab
    assert tab.outside_requests() == []
    context.close()


@pytest.fixture(scope="session")
def zh_search_tab(browser, base_url: str) -> Iterator[Tab]:
    """The Chinese edition's search box (its own index: site_tools/i18n.py), for all its queries."""
    context, tab = open_tab(browser)
    tab.page.goto(f"{base_url}zh/")
    yield tab
    assert tab.outside_requests() == []
    context.close()
