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
    hrefs = page.eval_on_selector_all(
        "li.md-search-result__item > a.md-search-result__link",
        "links => links.map(a => a.getAttribute('href'))",
    )
    paths = []
    for href in hrefs:
        path = urlparse(urljoin(page.url, href)).path  # drops Material's ?h=<query> and the #section
        base = urlparse(base_url).path
        paths.append(path[len(base):] if path.startswith(base) else path)
    return paths


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
