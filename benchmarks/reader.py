"""What a reader downloads and waits for: term page sizes, the search index, search latency.

For a built site (``--site DIR``; default: a strict build of the working tree into a temporary
directory):

- the bytes of every term page's HTML (``<family>/<slug>/index.html``, inline SVG plots and
  MathML included; the term pages come from ``site_tools.catalog.load_terms()``), with how much
  of it is SVG and MathML, median and max;
- the bytes of ``search/search_index.json``, raw and gzip-compressed (level 6, a typical server
  setting);
- search latency in headless Chromium: the site is served on 127.0.0.1 by ``http.server`` in a
  thread; one tab types every name of every term that tests/browser/test_search.py's
  ``name_queries()`` yields (``--queries N``: the first N) the way tests/browser/search.py does
  (``fill`` + ``press("End")``; Material's search reacts to ``keyup``). In the page a
  MutationObserver on the results panel takes ``performance.now()`` when the results for the
  current input value are in the DOM (the meta line says "... matching document(s)" and the list
  has its items), and again at the next animation frame (when they are painted). The latency is
  measured from the ``keyup`` of the last key; the first query after the page load (which also
  waits for the search worker to build its index) is reported on its own and not in the stats.

The same is measured on a grown glossary: the real site plus ``--copies N`` (default 300: 369
term pages) generated copies of real term pages, as benchmarks/build.py makes them (in
docs/bench/<family>/, so each family's navigation grows). There the page median is over every
term page (real and copies), the index size is divided by the number of term pages, and the
first query after a page load is timed on ``--loads`` fresh tabs (median), since it waits for the
search worker to build its index from the whole search_index.json.

    python -m benchmarks.reader                      # builds both sites first
    python -m benchmarks.reader --site /tmp/x --queries 50 --copies 0
"""

from __future__ import annotations

import argparse
import functools
import gzip
import http.server
import json
import os
import platform
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._text import table, write_json  # noqa: E402
from benchmarks.build import add_copies, copy_project  # noqa: E402
from site_tools.catalog import load_terms  # noqa: E402
from site_tools.chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
GOAL_PAGE_KB = 90  # median term page
GOAL_GROWTH = 1.1  # median term page with the copies, over the median of the real site
GOAL_INDEX_KB_PER_PAGE = 2.5  # search_index.json, gzip, per term page
GOAL_FIRST_QUERY_MS = 300  # the first query after a page load (waits for the index to be built)
GOAL_SEARCH_MS = 50  # from the last keystroke to the results
KB = 1000  # sizes in kB (10^3 bytes), as a browser's network panel shows them
GZIP_LEVEL = 6
WARM_UP_QUERY = "sigmoid"

SVG = re.compile(r"<svg\b.*?</svg>", re.S)
MATH = re.compile(r"<math\b.*?</math>", re.S)
NAV_TAG = re.compile(r"<(/?)nav\b")


def primary_nav_bytes(text: str) -> int:
    """Bytes of Material's site navigation (<nav class="md-nav md-nav--primary"> with its nested navs)."""
    start = text.find('<nav class="md-nav md-nav--primary"')
    if start == -1:
        return 0
    depth = 0
    for match in NAV_TAG.finditer(text, start):
        depth += -1 if match.group(1) else 1
        if depth == 0:
            return len(text[start:text.index(">", match.end()) + 1].encode())
    return 0

# Installed once in the tab: key timestamps on the search box, and a MutationObserver on the
# results panel that notes when the results for window.__bench.q are in the DOM, then painted.
PROBE = """() => {
    const input = document.querySelector('input.md-search__input');
    const panel = document.querySelector('.md-search-result');
    const bench = window.__bench = {q: null, down: null, up: null, dom: null, frame: null};
    const check = () => {
        if (bench.q === null || bench.up === null || bench.dom !== null || input.value !== bench.q) return;
        const meta = panel.querySelector('.md-search-result__meta');
        const text = meta ? meta.textContent : '';
        if (!/matching document/i.test(text)) return;
        const items = panel.querySelectorAll('li.md-search-result__item').length;
        if (items === 0 && !/no matching/i.test(text)) return;  // meta updated, list not yet
        bench.dom = performance.now();
        bench.items = items;
        requestAnimationFrame(() => { bench.frame = performance.now(); });
    };
    for (const type of ['keydown', 'keyup']) {
        input.addEventListener(type, () => {
            if (bench.q !== null && input.value === bench.q) bench[type === 'keydown' ? 'down' : 'up'] = performance.now();
            // the list was empty before the query was typed: results already there at keyup came
            // for this query (the worker, becoming ready, searched the box's value): latency 0
            if (type === 'keyup') check();
        }, true);
    }
    new MutationObserver(check).observe(panel, {childList: true, subtree: true, characterData: true});
}"""


# ---------------------------------------------------------------------------------------------
# sizes


def term_page_files(site: Path) -> list[Path]:
    """The built term pages: every catalog term's, then the benchmark's copies (if any)."""
    paths = []
    for term in sorted(load_terms(ROOT / "docs").values(), key=lambda t: t.page):
        path = site / term.page.removesuffix(".md") / "index.html"
        if not path.is_file():
            raise FileNotFoundError(f"{path}: no built page for term {term.slug!r} (is --site a build of this tree?)")
        paths.append(path)
    return paths + sorted(site.glob("bench/*/copy-*/index.html"))


def page_sizes(site: Path) -> list[dict]:
    """Bytes of every term page's index.html, and how many of them are inline SVG and MathML."""
    rows = []
    for path in term_page_files(site):
        text = path.read_text(encoding="utf-8")
        rows.append({
            "page": path.parent.relative_to(site).as_posix() + "/",
            "bytes": path.stat().st_size,
            "svg_bytes": sum(len(m.group(0).encode()) for m in SVG.finditer(text)),
            "mathml_bytes": sum(len(m.group(0).encode()) for m in MATH.finditer(text)),
            "nav_bytes": primary_nav_bytes(text),
            "gzip_bytes": len(gzip.compress(path.read_bytes(), compresslevel=GZIP_LEVEL)),
        })
    return rows


def index_sizes(site: Path) -> dict:
    raw = (site / "search" / "search_index.json").read_bytes()
    return {"bytes": len(raw), "gzip_bytes": len(gzip.compress(raw, compresslevel=GZIP_LEVEL)),
            "entries": len(json.loads(raw)["docs"])}


# ---------------------------------------------------------------------------------------------
# search latency


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format, *args):  # noqa: A002 - the stdlib's signature
        pass


@contextmanager
def serve(site: Path) -> Iterator[str]:
    """The site on http://127.0.0.1:<free port>/ while the block runs."""
    handler = functools.partial(QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


def queries(limit: int | None) -> list[tuple[str, str]]:
    """(name, slug) for every typeable name of every term, as the browser search tests use them."""
    from tests.browser.test_search import name_queries  # imports pytest; only needed here

    found = name_queries()
    return found[:limit] if limit is not None else found


def time_query(page, query: str) -> dict:
    """Type ``query`` like tests/browser/search.py does; return the probe's timestamps (ms)."""
    box = page.locator("input.md-search__input")
    page.evaluate("() => { window.__bench.q = null; }")
    box.fill("")
    box.press("End")
    page.wait_for_function("() => document.querySelectorAll('li.md-search-result__item').length === 0")
    page.evaluate("([q]) => Object.assign(window.__bench, {q, down: null, up: null, dom: null, frame: null, items: null})",
                  [query])
    box.fill(query)
    box.press("End")  # the keyup of this key is what makes Material search
    page.wait_for_function("() => window.__bench.frame !== null", timeout=15_000)
    probe = page.evaluate("() => window.__bench")
    return {
        "query": query,
        "results": probe["items"],
        "dom_ms": round(probe["dom"] - probe["up"], 2),
        "painted_ms": round(probe["frame"] - probe["up"], 2),
        "from_keydown_ms": round(probe["dom"] - probe["down"], 2),
    }


def search_latency(site: Path, query_set: list[tuple[str, str]], loads: int = 1) -> tuple[list[dict], list[dict]]:
    """(the first query after each of ``loads`` page loads in a fresh tab, timings of every query
    in ``query_set`` in the last tab)."""
    from playwright.sync_api import sync_playwright

    firsts, timings = [], []
    with serve(site) as base_url, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for load in range(loads):
                context = browser.new_context(viewport={"width": 1280, "height": 900})
                page = context.new_page()
                page.goto(base_url)
                page.locator("input.md-search__input").click()
                page.evaluate(PROBE)
                firsts.append(time_query(page, WARM_UP_QUERY))
                if load == loads - 1:
                    timings = [time_query(page, query) for query, _ in query_set]
                context.close()
        finally:
            browser.close()
    return firsts, timings


# ---------------------------------------------------------------------------------------------
# output


def percentile(values: list[float], p: float) -> float:
    """The p-th percentile (0-100), linear interpolation between closest ranks."""
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


COLUMNS = [("metric", "metric"), ("value", "value"), ("unit", "unit"), ("goal", "goal"), ("met", "met")]


def _fmt(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "NO"
    if isinstance(value, float):
        return f"{value:.1f}"
    return str(value)


def metric(name: str, value: float, unit: str, goal: float | None = None) -> dict:
    row = {"metric": name, "value": round(value, 2), "unit": unit, "goal": None, "met": None}
    if goal is not None:
        row["goal"] = f"<= {goal:g} {unit}"
        row["met"] = value <= goal
    return row


def build_site(dest: Path, copies: int = 0) -> None:
    """A strict build of the working tree into ``dest``; with ``copies``, of a copy of the project
    with that many generated term pages added (benchmarks/build.py)."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    project = ROOT
    if copies:
        project = copy_project(dest.parent / "project")
        add_copies(project, copies)
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(dest)],
                          cwd=project, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"mkdocs build failed:\n{done.stdout[-2000:]}{done.stderr[-4000:]}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.reader", description=__doc__.split("\n\n")[0])
    parser.add_argument("--site", type=Path, help="a built site (default: build the working tree into a temp dir)")
    parser.add_argument("--queries", type=int, help="time only the first N queries of the query set")
    parser.add_argument("--copies", type=int, default=300, help="term pages added for the grown site (0: skip it)")
    parser.add_argument("--grown-site", type=Path, help="a built grown site (default: build it)")
    parser.add_argument("--loads", type=int, default=5, help="page loads over which the first query is timed")
    parser.add_argument("--quick", action="store_true", help="a smoke test: 20 queries, 20 copies, 2 loads")
    parser.add_argument("--out", type=Path, default=RESULTS / "reader.json", help="JSON file to write")
    return parser.parse_args(argv)


def measure(site: Path, query_set: list[tuple[str, str]], loads: int) -> dict:
    pages = page_sizes(site)
    index = index_sizes(site)
    print(f"timing {len(query_set)} queries and {loads} first queries on {len(pages)} term pages ...",
          file=sys.stderr, flush=True)
    started = time.perf_counter()
    firsts, timings = search_latency(site, query_set, loads)
    return {"pages": pages, "index": index, "firsts": firsts, "timings": timings,
            "search_wall_s": round(time.perf_counter() - started, 1)}


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.quick:
        args.queries = 20 if args.queries is None else args.queries
        args.copies, args.loads = min(args.copies, 20), 2
    query_set = queries(args.queries)
    with tempfile.TemporaryDirectory(prefix="glossary-reader-") as tmp:
        site, grown = args.site, args.grown_site
        if site is None:
            site = Path(tmp) / "site"
            print(f"building the site into {site} ...", file=sys.stderr, flush=True)
            build_site(site)
        real = measure(site, query_set, args.loads)
        big = None
        if args.copies:
            if grown is None:
                grown = Path(tmp) / "grown" / "site"
                grown.parent.mkdir()
                print(f"building the site with {args.copies} copies into {grown} ...", file=sys.stderr, flush=True)
                build_site(grown, args.copies)
            big = measure(grown, query_set, args.loads)

    pages, index, timings = real["pages"], real["index"], real["timings"]
    sizes = [p["bytes"] / KB for p in pages]
    median_kb = statistics.median(sizes)
    svg_share = sum(p["svg_bytes"] for p in pages) / sum(p["bytes"] for p in pages)
    math_share = sum(p["mathml_bytes"] for p in pages) / sum(p["bytes"] for p in pages)
    nav_share = sum(p["nav_bytes"] for p in pages) / sum(p["bytes"] for p in pages)
    dom = [t["dom_ms"] for t in timings]
    painted = [t["painted_ms"] for t in timings]
    largest = max(pages, key=lambda p: p["bytes"])
    first_ms = statistics.median(f["dom_ms"] for f in real["firsts"])
    n = len(pages)
    rows = [
        metric(f"term page HTML, median of {n}", median_kb, "kB", GOAL_PAGE_KB),
        metric(f"term page HTML, max ({largest['page']})", max(sizes), "kB"),
        metric("term page HTML, median gzip", statistics.median(p["gzip_bytes"] / KB for p in pages), "kB"),
        metric("inline SVG share of term page bytes", 100 * svg_share, "%"),
        metric("MathML share of term page bytes", 100 * math_share, "%"),
        metric("site navigation share of term page bytes", 100 * nav_share, "%"),
        metric("search/search_index.json", index["bytes"] / KB, "kB"),
        metric(f"search/search_index.json, gzip -{GZIP_LEVEL}", index["gzip_bytes"] / KB, "kB"),
        metric(f"search index, gzip, per term page ({n})", index["gzip_bytes"] / KB / n, "kB", GOAL_INDEX_KB_PER_PAGE),
        metric(f"search: keyup -> results in DOM, median of {len(dom)}", statistics.median(dom), "ms", GOAL_SEARCH_MS),
        metric("search: keyup -> results in DOM, 95th percentile", percentile(dom, 95), "ms", GOAL_SEARCH_MS),
        metric("search: keyup -> next frame, median", statistics.median(painted), "ms"),
        metric("search: keyup -> next frame, 95th percentile", percentile(painted, 95), "ms"),
        metric("search: keyup -> results in DOM, max", max(dom), "ms"),
        metric(f"search: first query after page load ({WARM_UP_QUERY!r}), median of {len(real['firsts'])} loads",
               first_ms, "ms", GOAL_FIRST_QUERY_MS),
    ]
    goals = {
        "median_term_page_kb": GOAL_PAGE_KB, "median_term_page_met": median_kb <= GOAL_PAGE_KB,
        "search_ms": GOAL_SEARCH_MS, "search_median_met": statistics.median(dom) <= GOAL_SEARCH_MS,
        "search_p95_met": percentile(dom, 95) <= GOAL_SEARCH_MS,
        "first_query_ms": GOAL_FIRST_QUERY_MS, "first_query_met": first_ms <= GOAL_FIRST_QUERY_MS,
    }
    grown_result = None
    if big is not None:
        gn = len(big["pages"])
        g_median = statistics.median(p["bytes"] / KB for p in big["pages"])
        g_dom = [t["dom_ms"] for t in big["timings"]]
        g_first = statistics.median(f["dom_ms"] for f in big["firsts"])
        g_index = big["index"]["gzip_bytes"] / KB / gn
        rows += [
            metric(f"{gn} term pages: term page HTML, median", g_median, "kB", round(GOAL_GROWTH * median_kb, 1)),
            metric(f"{gn} term pages: median over the median of {n}", g_median / median_kb, "×", GOAL_GROWTH),
            metric(f"{gn} term pages: search index, gzip, per term page", g_index, "kB", GOAL_INDEX_KB_PER_PAGE),
            metric(f"{gn} term pages: search: first query after page load, median of {len(big['firsts'])} loads",
                   g_first, "ms", GOAL_FIRST_QUERY_MS),
            metric(f"{gn} term pages: search: keyup -> results in DOM, median of {len(g_dom)}",
                   statistics.median(g_dom), "ms", GOAL_SEARCH_MS),
            metric(f"{gn} term pages: search: keyup -> results in DOM, 95th percentile",
                   percentile(g_dom, 95), "ms", GOAL_SEARCH_MS),
        ]
        goals.update({
            "grown_term_pages": gn, "grown_median_met": g_median <= GOAL_GROWTH * median_kb,
            "grown_index_met": g_index <= GOAL_INDEX_KB_PER_PAGE, "grown_first_query_met": g_first <= GOAL_FIRST_QUERY_MS,
            "grown_search_p95_met": percentile(g_dom, 95) <= GOAL_SEARCH_MS,
        })
        grown_result = {"term_pages": gn, "search_index": big["index"], "first_queries": big["firsts"],
                        "search_wall_s": big["search_wall_s"]}
    slowest = sorted(timings, key=lambda t: t["dom_ms"], reverse=True)[:5]
    result = {
        "title": "What a reader gets: term page size, search index size, search latency",
        "machine": {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
                    "chromium": CHROMIUM},
        "load_average_at_end": list(os.getloadavg()),
        "site": str(args.site) if args.site else "built from the working tree into a temporary directory",
        "columns": [list(c) for c in COLUMNS],
        "rows": rows,
        "goals": goals,
        "search_index": index,
        "search_method": "keyup of the last key (performance.now() in the page) to the MutationObserver callback that "
                         "sees the meta line '... matching document(s)' and the result items for the current input "
                         "value; 'painted' = the next requestAnimationFrame after that",
        "search_wall_s": real["search_wall_s"],
        "first_query": sorted(real["firsts"], key=lambda f: f["dom_ms"])[len(real["firsts"]) // 2],
        "first_queries": real["firsts"],
        "grown": grown_result,
        "pages": pages,
        "queries": timings,
    }

    print(table(COLUMNS, rows, _fmt))
    print("\nlargest term pages:")
    for p in sorted(pages, key=lambda p: p["bytes"], reverse=True)[:5]:
        print(f"  {p['page']:<42} {p['bytes'] / KB:7.1f} kB  (SVG {p['svg_bytes'] / KB:6.1f} kB, "
              f"MathML {p['mathml_bytes'] / KB:6.1f} kB, nav {p['nav_bytes'] / KB:6.1f} kB)")
    print("slowest queries:")
    for t in slowest:
        print(f"  {t['query']!r:<40} {t['dom_ms']:7.1f} ms ({t['results']} results shown)")
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
