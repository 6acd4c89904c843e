"""Driving Material's search box the way a reader does, and the hit-rate bookkeeping."""

from __future__ import annotations

from urllib.parse import urljoin, urlparse

RESULTS: list[tuple[str, str, int | None]] = []  # (query, expected page, 1-based rank or None)


def search(page, base_url: str, query: str) -> list[str]:
    """Type ``query`` into the search box; return the result pages' paths, best first."""
    if not page.url.startswith(base_url):
        page.goto(base_url)
    box = page.locator("input.md-search__input")
    box.click()
    # clear first and wait until the previous results are gone, so none of them is read as ours
    box.fill("")
    box.press("End")
    page.wait_for_function("() => document.querySelectorAll('li.md-search-result__item').length === 0")
    box.fill(query)
    box.press("End")  # Material listens for key events; fill() alone shows no results
    meta = page.locator(".md-search-result__meta")
    page.wait_for_function(
        """([q]) => {
            const input = document.querySelector('input.md-search__input');
            const meta = document.querySelector('.md-search-result__meta');
            // Material's count line, in English or Chinese ("3 matching documents", "找到 1 个符合条件的结果")
            return input && input.value === q && meta && /matching document|符合条件的结果/i.test(meta.textContent);
        }""",
        arg=[query],
        timeout=15_000,
    )
    assert meta.count() == 1
    # one result per page: each item's first link is its page (the sections follow it in the item)
    hrefs = page.eval_on_selector_all(
        "li.md-search-result__item",
        "items => items.map(li => li.querySelector(':scope > a.md-search-result__link').getAttribute('href'))",
    )
    paths = []
    for href in hrefs:
        path = urlparse(urljoin(page.url, href)).path  # drops Material's ?h=<query> and the #section
        base = urlparse(base_url).path
        paths.append(path[len(base):] if path.startswith(base) else path)
    return paths


# Material's search worker as its main thread runs it (integrations/search/worker/_ and
# components/search/query in Material 9.8): made from the page's configuration, set up with the
# edition's search_index.json, then sent every query as {type: 2, data: query}. It is made in the
# page, so glossary.js's rewriting of the query applies, as when a reader types. Each result item is
# one page; its path is read the way search() reads a result's link.
SEARCH_ALL = """async (queries) => {
    const config = JSON.parse(document.getElementById("__config").textContent);
    const base = new URL(config.base, location.href);
    const index = await (await fetch(new URL("search/search_index.json", base))).json();
    const worker = new Worker(config.search);
    let waiting = null;
    const reply = type => new Promise((resolve, reject) => {
        waiting = message => message.type === type && resolve(message.data);
        worker.onerror = event => reject(new Error(event.message));
    });
    worker.onmessage = event => waiting && waiting(event.data);
    const ready = reply(1);  // READY
    worker.postMessage({type: 0, data: {  // SETUP
        config: index.config, docs: index.docs,
        options: {suggest: config.features.includes("search.suggest")},
    }});
    await ready;
    const found = {};
    for (const query of queries) {
        const result = reply(3);  // RESULT
        worker.postMessage({type: 2, data: query});  // QUERY
        const {items} = await result;
        found[query] = items.map(item => new URL(item[0].location, base).pathname.slice(base.pathname.length));
    }
    worker.terminate();
    return found;
}"""


def search_all(page, queries: list[str]) -> dict[str, list[str]]:
    """Every query through Material's search worker at once, in ``page`` (a page of the edition to
    search); returns each query's result pages, best first, as search() would read them. Typing
    takes about 0.2 s a query, this about 3 ms; test_search.py checks that the two agree."""
    return page.evaluate(SEARCH_ALL, list(dict.fromkeys(queries)))


def record(query: str, expected: str, paths: list[str]) -> None:
    rank = paths.index(expected) + 1 if expected in paths else None
    RESULTS.append((query, expected, rank))


def summary() -> str | None:
    """The hit rate per edition (the Chinese site's queries are recorded with ``zh/`` pages)."""
    if not RESULTS:
        return None
    lines = []
    for edition, results in (
        ("English site", [r for r in RESULTS if not r[1].startswith("zh/")]),
        ("Chinese site (/zh/)", [r for r in RESULTS if r[1].startswith("zh/")]),
    ):
        if not results:
            continue
        n = len(results)
        first = sum(1 for *_, rank in results if rank == 1)
        top3 = sum(1 for *_, rank in results if rank is not None and rank <= 3)
        lines.append(f"search hit rate, {edition}, over {n} queries: first result {first}/{n} "
                     f"({100 * first / n:.1f}%), top three {top3}/{n} ({100 * top3 / n:.1f}%)")
        lines += [f"  not first: {q!r} -> {e} (rank {r})" for q, e, r in results if r != 1]
    return "\n".join(lines)
