"""How long a strict build takes, how much memory it needs, and how both grow with the glossary.

Every build runs ``python -m mkdocs build --strict`` as a child process (``NO_MKDOCS_2_WARNING=1``)
on a temporary copy of the project (mkdocs.yml, docs/, snippets/, site_tools/), so the working
tree is never touched and every run starts from the same cold state. Measured per run:

- wall time of the child process;
- its peak resident memory (``ru_maxrss`` of that one child, from ``os.wait4``). Linux folds in
  the children it waited for, so for a two-process build this is the larger of the two peaks, not
  their sum; CPU time, likewise, counts both processes.

Runs:

- ``imports``: ``python -c "import mkdocs..., material, jieba, matplotlib.pyplot, snippets, ..."``
  — the import cost of what a build loads, for reference (it is part of every build below);
- ``empty site``: the fixed cost, defined as a build of the project with every term page removed
  from docs/ (the home page, A-Z and tags pages, theme, search index, hooks all stay): what
  a build costs before the first term page;
- ``N = 0, 100, 300`` (``--sizes``): the real site plus N generated copies of real term pages in
  docs/bench/<family>/copy-<i>.md (the original's family). A copy is a real page's Markdown (round-robin over the term pages)
  with its front matter stripped (so it is not a catalog term: no duplicate names, no related
  slugs), a ``# Copy <i> of <slug>`` title, its relative links rewritten for the new folder, and
  its markdown-exec ``session`` and ``id`` suffixed with ``-copy-<i>`` — so every copy executes its
  code blocks, draws its plots and renders its MathML exactly as the original does.

The copies live two folders deep (docs/bench/<family>/) because site_tools.catalog treats every
docs/<folder>/<name>.md as a term page and would reject one without front matter. One folder per
family keeps the navigation as a grown glossary would have it: each family section gets longer
(300 copies: about 25 more pages per family), rather than one section of 300 pages.

Every build above runs in a fresh copy, so its execution cache (.cache/exec) starts empty: these
are cold builds, whose blocks run in a pool of one process per core (site_tools/execute.py); the JSON
records how many (``build_processes``).

**Rebuilds** (``rebuilds`` in the JSON), in one more copy of the real site: a cold build (empty
cache), a warm build with nothing changed (every output from the cache), then the contributor's
loop as ``python3 dev.py serve`` runs it (``mkdocs serve --dirty``: one process, dirty rebuilds,
benchmarks/serve_loop.py): the first build, then a rebuild after a one-page prose edit, after a
new executed block on one page (in that page's session, so the session's earlier blocks run
again too), and after an edit to one ``snippets`` module. Each is compared with the cold build
(goals: a prose edit within 0.15 x, a new block within 0.25 x).

Also measured, in this process: the **figure floor**, the time to draw and save the smallest plot a
page can have (``figure()``, one line, ``to_svg``), median of repeated runs, next to the number
of plots the real pages draw. No page can cost less than its plots.

From these: the fixed cost, the mean cost of a real term page ((N=0 build - empty build) / number
of term pages, which also carries one-off imports such as matplotlib that only term pages
trigger), and a least-squares fit of wall time against the number of executed term pages over the
N runs (seconds per extra page = the marginal cost; intercept). Also: optional cProfile of one
build (``--profile``) with the time split by what the page build does.

    python -m benchmarks.build                 # N = 0, 100, 300
    python -m benchmarks.build --quick         # N = 0, 10
    python -m benchmarks.build --sizes 0,50 --profile /tmp/build.prof
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import posixpath
import pstats
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from benchmarks._text import table, write_json  # noqa: E402
from site_tools.catalog import is_term_page  # noqa: E402
from site_tools.execute import jobs  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
PROJECT_PARTS = ("mkdocs.yml", "docs", "snippets", "site_tools", "benchmarks")  # what a build reads
DEFAULT_SIZES = (0, 100, 300)
QUICK_SIZES = (0, 10)
GOAL_SECONDS_PER_PAGE = 0.1  # the goal for one executed term page, on 2 cores
IMPORTS = (
    "import mkdocs.commands.build, material, jieba, matplotlib.pyplot, latex2mathml.converter, "
    "pymdownx.superfences, markdown_exec, snippets, site_tools.plot"
)

# the opening line of an executed fence, and the two attributes a copy must rename
EXEC_FENCE = re.compile(r'^\s*```+\s*python\b.*\bexec="on"')
EXEC_NAME = re.compile(r'\b(session|id)="([^"]+)"')
MARKDOWN_LINK = re.compile(r"\]\(([^)\s]+)\)")


@dataclass
class Run:
    """One measured child process."""

    case: str
    term_pages: int  # executed term pages in the site (real + copies)
    exec_blocks: int  # markdown-exec blocks in the site
    wall_s: float
    cpu_s: float  # user + system CPU time of the child: less sensitive than wall time to other load
    peak_rss_mb: float
    note: str = ""


# ---------------------------------------------------------------------------------------------
# running a child and measuring it


def measure(cmd: list[str], cwd: Path, log: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Run ``cmd``; return (wall s, CPU s, peak RSS MiB) of that one child. Raise on failure.

    The execution cache is on (each project copy starts with an empty one), whatever the caller's
    environment says; ``env`` adds variables."""
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "GLOSSARY_EXEC_CACHE": "1", **(env or {})}
    with open(log or os.devnull, "wb") as out:
        start = time.perf_counter()
        child = subprocess.Popen(cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT)
        # wait4 reports this child's own rusage (RUSAGE_CHILDREN would be the max over all children)
        _, status, usage = os.wait4(child.pid, 0)
        wall = time.perf_counter() - start
    child.returncode = os.waitstatus_to_exitcode(status)  # so Popen does not wait again
    if child.returncode != 0:
        tail = log.read_text(encoding="utf-8", errors="replace")[-4000:] if log else ""
        raise RuntimeError(f"{' '.join(cmd)} exited with {child.returncode}\n{tail}")
    return wall, usage.ru_utime + usage.ru_stime, usage.ru_maxrss / 1024  # Linux: ru_maxrss in KiB


def mkdocs_build(project: Path, profile: Path | None = None, env: dict[str, str] | None = None) -> tuple[float, float, float]:
    """Strict build of the copy at ``project`` into project/site; (wall s, CPU s, peak MiB)."""
    profiler = ["-m", "cProfile", "-o", str(profile)] if profile else []
    # not --quiet: it drops warnings before strict mode counts them, so a failing block would pass
    cmd = [sys.executable, *profiler, "-m", "mkdocs", "build", "--strict",
           "-f", str(project / "mkdocs.yml"), "-d", str(project / "site")]
    return measure(cmd, cwd=project, log=project / "build.log", env=env)


# ---------------------------------------------------------------------------------------------
# the temporary projects


def term_pages(docs: Path) -> list[Path]:
    """The term pages under ``docs`` (docs/<family>/<slug>.md), sorted."""
    return sorted(p for p in docs.rglob("*.md") if is_term_page(p.relative_to(docs)))


def count_exec_blocks(docs: Path) -> int:
    return sum(
        1 for page in docs.rglob("*.md")
        for line in page.read_text(encoding="utf-8").splitlines() if EXEC_FENCE.match(line)
    )


def copy_project(dest: Path, exec_cache: bool = False) -> Path:
    """Copy what a build reads into ``dest`` (no built site, no caches unless ``exec_cache``).

    ``exec_cache=True`` also copies this checkout's execution cache (.cache/exec, if there is one),
    so the copy's first build takes what it can from there, as a second build would. That is safe
    whatever the cache holds: an entry is used only while everything its block read is unchanged
    (site_tools/execute.py), so a stale one just runs again.
    """
    dest.mkdir(parents=True)
    for part in PROJECT_PARTS:
        source = ROOT / part
        if source.is_dir():
            shutil.copytree(source, dest / part, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy2(source, dest / part)
    cache = ROOT / ".cache" / "exec"
    if exec_cache and cache.is_dir():
        shutil.copytree(cache, dest / ".cache" / "exec")
    return dest


def strip_front_matter(text: str) -> str:
    if text.startswith("---\n"):
        end = text.find("\n---\n", 4)
        if end != -1:
            return text[end + len("\n---\n"):]
    return text


def copy_of(page: Path, docs: Path, index: int, folder: str) -> str:
    """The Markdown of term page ``page`` as copy number ``index`` living in docs/``folder``/."""
    family = page.relative_to(docs).parent.as_posix()
    up = "../" * len(Path(folder).parts)  # from the copy's folder back to docs/
    suffix = f"-copy-{index}"

    def relink(match: re.Match[str]) -> str:
        target = match.group(1)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target) or target.startswith(("#", "/")):
            return match.group(0)  # absolute URL, anchor on the same page, or site-absolute
        path, hash_, fragment = target.partition("#")
        resolved = posixpath.normpath(posixpath.join(family, path))  # docs-relative
        return f"]({up}{resolved}{hash_}{fragment})"

    lines = []
    for line in strip_front_matter(page.read_text(encoding="utf-8")).splitlines():
        if EXEC_FENCE.match(line):
            # sessions are global to the build and ids name the compiled code: keep both unique
            line = EXEC_NAME.sub(lambda m: f'{m.group(1)}="{m.group(2)}{suffix}"', line)
        else:
            line = MARKDOWN_LINK.sub(relink, line)
        lines.append(line)
    return f"# Copy {index} of {page.stem}\n\n" + "\n".join(lines) + "\n"


def add_copies(project: Path, n: int, folder: str = "bench") -> None:
    """Write ``n`` copies of the real term pages, round-robin, into docs/``folder``/<family>/."""
    docs = project / "docs"
    originals = term_pages(docs)
    for i in range(n):
        page = originals[i % len(originals)]
        family_folder = f"{folder}/{page.parent.name}"
        target = docs / family_folder
        target.mkdir(parents=True, exist_ok=True)
        (target / f"copy-{i}.md").write_text(copy_of(page, docs, i, family_folder), encoding="utf-8")


def remove_term_pages(project: Path) -> None:
    """Every term page and its translations (a Chinese page left alone would be built, and its
    blocks run, as a page of its own)."""
    docs = project / "docs"
    for page in term_pages(docs):
        for twin in page.parent.glob(f"{page.stem}.*.md"):
            twin.unlink()
        page.unlink()


# ---------------------------------------------------------------------------------------------
# the runs


def run_imports(scratch: Path) -> Run:
    wall, cpu, rss = measure([sys.executable, "-c", IMPORTS], cwd=ROOT)
    return Run("imports", 0, 0, wall, cpu, rss, "python -c 'import mkdocs, material, jieba, matplotlib, ...'")


def run_empty(scratch: Path) -> Run:
    project = copy_project(scratch / "empty")
    remove_term_pages(project)
    wall, cpu, rss = mkdocs_build(project)
    return Run("empty site", 0, count_exec_blocks(project / "docs"), wall, cpu, rss,
               "fixed cost: every term page removed; home, A-Z, tags, theme, search stay")


# the edits of the serve loop, on the real site; each row's ratio is its seconds / the cold build's
REBUILD_EDITS = [
    {"name": "serve: prose edit on one page", "path": "docs/activations/relu.md", "old": "## Intuition",
     "new": "One more sentence of prose, added while serving.\n\n## Intuition"},
    {"name": "serve: new block on one page", "path": "docs/activations/relu.md", "old": "## Pitfalls",
     "new": '```python exec="on" source="block" result="text" session="relu" id="relu-added-while-serving"\n'
            'print(relu(np.array([-1.0, 0.0, 2.5])))\n```\n\n## Pitfalls'},
    {"name": "serve: one snippets module edited", "path": "snippets/activations/relu.py",
     "old": "def relu(", "new": "# edited while serving\ndef relu("},
]
REBUILD_GOALS = {"serve: prose edit on one page": 0.15, "serve: new block on one page": 0.25}


def run_rebuilds(scratch: Path) -> dict:
    """Cold, warm and serve-loop rebuilds of the real site (see the module docstring)."""
    project = copy_project(scratch / "rebuilds")
    blocks = count_exec_blocks(project / "docs")
    rows = []
    for case in ("cold build (empty cache)", "warm build (nothing changed)"):
        wall, cpu, rss = mkdocs_build(project)
        ran = len(json.loads((project / ".cache" / "exec-log.json").read_text(encoding="utf-8"))["ran"])
        rows.append({"case": case, "seconds": round(wall, 3), "cpu_s": round(cpu, 3), "blocks_run": ran})
    edits = scratch / "edits.json"
    edits.write_text(json.dumps(REBUILD_EDITS), encoding="utf-8")
    loop = subprocess.run(
        [sys.executable, "-m", "benchmarks.serve_loop", str(project), str(scratch / "served"), str(edits)],
        cwd=ROOT, capture_output=True, text=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1", "GLOSSARY_EXEC_CACHE": "1"},
    )
    if loop.returncode != 0:
        raise RuntimeError(f"serve loop failed:\n{loop.stderr[-4000:]}")
    for step in json.loads(loop.stdout.strip().splitlines()[-1]):
        name = "serve: first build (warm cache)" if step["name"] == "first build" else step["name"]
        rows.append({"case": name, "seconds": step["seconds"], "cpu_s": None, "blocks_run": step["blocks_run"],
                     "pages_run": len(step["pages_run"])})
    cold = rows[0]["seconds"]
    for row in rows:
        row["ratio_to_cold"] = round(row["seconds"] / cold, 3)
        if row["case"] in REBUILD_GOALS:
            row["goal_ratio"] = REBUILD_GOALS[row["case"]]
            row["met"] = row["ratio_to_cold"] <= row["goal_ratio"]
    shutil.rmtree(project, ignore_errors=True)
    return {"exec_blocks": blocks, "columns": [list(c) for c in REBUILD_COLUMNS], "rows": rows}


EDITIONS_GOAL = 1.4  # issue 11: both languages cold <= 1.4 x English alone
EDITION_CASES = {
    "English alone": {"GLOSSARY_ZH": "false"},
    "English and Chinese": {"GLOSSARY_ZH": "true"},
}


def run_editions(scratch: Path, repeats: int = 3) -> dict:
    """Cold builds of the real site, English alone (``GLOSSARY_ZH=false``) and both editions, each in
    a fresh copy (empty cache), the two cases interleaved; the ratio of the medians is the cost of
    the Chinese edition, whose blocks mostly come from the English run (site_tools/i18n.py)."""
    times: dict[str, list[tuple[float, float]]] = {case: [] for case in EDITION_CASES}
    ran: dict[str, int] = {}
    for i in range(repeats):
        for case, env in EDITION_CASES.items():
            project = copy_project(scratch / f"editions-{i}-{len(times[case])}-{case.split()[-1].lower()}")
            wall, cpu, _ = mkdocs_build(project, env=env)
            times[case].append((wall, cpu))
            ran[case] = len(json.loads((project / ".cache" / "exec-log.json").read_text(encoding="utf-8"))["ran"])
            shutil.rmtree(project, ignore_errors=True)
            print(f"  editions, {case}: {wall:.1f} s wall, {cpu:.1f} s CPU", file=sys.stderr, flush=True)
    rows = []
    for case, runs in times.items():
        walls, cpus = sorted(w for w, _ in runs), sorted(c for _, c in runs)
        rows.append({"case": f"cold build, {case}", "seconds": round(walls[len(walls) // 2], 3),
                     "min_s": round(walls[0], 3), "cpu_s": round(cpus[len(cpus) // 2], 3), "blocks_run": ran[case]})
    ratio = rows[1]["seconds"] / rows[0]["seconds"]
    rows[1].update({"ratio_to_english": round(ratio, 3), "goal_ratio": EDITIONS_GOAL, "met": ratio <= EDITIONS_GOAL})
    rows[0]["ratio_to_english"] = 1.0
    return {"repeats": repeats, "what": "median of interleaved cold builds (fresh copy, empty cache each)",
            "columns": [list(c) for c in EDITION_COLUMNS], "rows": rows}


EDITION_COLUMNS = [
    ("case", "case"),
    ("seconds", "wall s (median)"),
    ("min_s", "wall s (min)"),
    ("cpu_s", "CPU s (median)"),
    ("blocks_run", "blocks run"),
    ("ratio_to_english", "÷ English alone"),
    ("goal_ratio", "goal"),
]


REBUILD_COLUMNS = [
    ("case", "case"),
    ("seconds", "wall s"),
    ("ratio_to_cold", "÷ cold"),
    ("goal_ratio", "goal"),
    ("blocks_run", "blocks run"),
    ("pages_run", "pages run"),
]


def plots_drawn(project: Path) -> int:
    """Plots (``<figure class="gl-figure">``, what ``to_svg`` prints) on the built real term pages."""
    docs, site = project / "docs", project / "site"
    return sum(
        (site / page.relative_to(docs).with_suffix("") / "index.html").read_text(encoding="utf-8").count('class="gl-figure"')
        for page in term_pages(docs)  # copies live deeper and are not term pages
    )


def run_size(scratch: Path, n: int, keep_site: Path | None, profile: Path | None) -> tuple[Run, int]:
    """Build the real site plus ``n`` copies; the run, and the plots drawn on the real term pages."""
    project = copy_project(scratch / f"n{n}")
    real = len(term_pages(project / "docs"))
    add_copies(project, n)
    wall, cpu, rss = mkdocs_build(project, profile)
    plots = plots_drawn(project)
    if keep_site is not None:
        shutil.rmtree(keep_site, ignore_errors=True)
        shutil.copytree(project / "site", keep_site)
    note = "the real site" if n == 0 else f"real site + {n} copies of term pages"
    if profile:
        note += " (under cProfile)"
    return Run(f"N = {n}", real + n, count_exec_blocks(project / "docs"), wall, cpu, rss, note), plots


def figure_floor(plots: int, term_pages: int, repeats: int = 21) -> dict:
    """Median seconds to draw and save the smallest plot (one line on default axes), warm,
    next to the ``plots`` the built site drew on its ``term_pages`` real term pages."""
    import numpy as np

    from site_tools.plot import figure, to_svg

    x = np.linspace(-6.0, 6.0, 200)

    def smallest() -> None:
        fig, ax = figure()
        ax.plot(x, np.tanh(x), label="tanh")
        ax.set_xlabel("x")
        ax.legend()
        to_svg(fig, "floor", alt="tanh")

    smallest()  # the first figure pays for font loading
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        smallest()
        times.append(time.perf_counter() - start)
    return {
        "what": "figure() + one line + legend + to_svg, median of warm runs in one process",
        "seconds": round(sorted(times)[len(times) // 2], 4),
        "runs": repeats,
        "plots_on_term_pages": plots,
        "term_pages": term_pages,
    }


def least_squares(xs: list[float], ys: list[float]) -> tuple[float, float, float]:
    """Slope, intercept and R^2 of the line through (xs, ys) with the least squared error."""
    n = len(xs)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    sxx = sum((x - mean_x) ** 2 for x in xs)
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys)) / sxx
    intercept = mean_y - slope * mean_x
    total = sum((y - mean_y) ** 2 for y in ys)
    residual = sum((y - (intercept + slope * x)) ** 2 for x, y in zip(xs, ys))
    return slope, intercept, (1 - residual / total) if total else 1.0


# ---------------------------------------------------------------------------------------------
# where the time goes (cProfile of one build)

# (label, path fragment, function name): cumulative time of that function. Nested rows are part
# of the row above them; the top rows overlap too (markdown conversion contains code execution).
PROFILE_PARTS = [
    ("Markdown -> HTML, all pages (Markdown.convert)", "markdown/core.py", "convert"),
    ("  executed code blocks (markdown-exec _run_python)", "markdown_exec/_internal/formatters/python.py", "_run_python"),
    ("    plots: to_svg (savefig + SVG clean-up)", "site_tools/plot.py", "to_svg"),
    ("      matplotlib savefig (draw, text layout, SVG)", "matplotlib/figure.py", "savefig"),
    ("        mathtext parsing ($...$ in labels)", "matplotlib/_mathtext.py", "parse"),
    ("        SVG backend (print_svg)", "matplotlib/backends/backend_svg.py", "print_svg"),
    ("      to_svg regex clean-up", "re/__init__.py", "sub"),
    ("    plots: figure() (plt.subplots)", "site_tools/plot.py", "figure"),
    ("  syntax highlighting (pygments highlight)", "pygments/__init__.py", "highlight"),
    ("  snippet includes (pymdownx.snippets)", "pymdownx/snippets.py", "run"),
    ("MathML (site_tools.mathml.render_math)", "site_tools/mathml.py", "render_math"),
    ("page templates (mkdocs _build_page)", "mkdocs/commands/build.py", "_build_page"),
    ("search: page text (search plugin on_page_context)", "material/plugins/search/plugin.py", "on_page_context"),
    ("search: jieba segmentation (jieba cut)", "jieba/__init__.py", "cut"),
    ("search: write index (search plugin on_post_build)", "material/plugins/search/plugin.py", "on_post_build"),
    ("search: name fields (hooks.on_post_build)", "site_tools/hooks.py", "on_post_build"),
    ("hooks.on_page_markdown (header, related, abbr)", "site_tools/hooks.py", "on_page_markdown"),
    ("tags plugin", "material/plugins/tags/plugin.py", "on_page_markdown"),
    ("all imports (whole build, incl. mkdocs start-up)", "<frozen importlib._bootstrap>", "_find_and_load"),
]


def profile_breakdown(path: Path) -> list[dict]:
    """Cumulative seconds per PROFILE_PARTS row in the profile at ``path``."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    total = max(ct for (_, _, _, ct, _) in stats.values())
    rows = []
    for label, fragment, function in PROFILE_PARTS:
        seconds = sum(
            ct for (filename, _, name), (_, _, _, ct, callers) in stats.items()
            if name == function and filename.replace(os.sep, "/").endswith(fragment)
        ) if fragment != "re/__init__.py" else _regex_in_to_svg(stats)
        rows.append({"part": label, "seconds": round(seconds, 2), "share": round(seconds / total, 3)})
    return [{"part": "whole build (profiled)", "seconds": round(total, 2), "share": 1.0}, *rows]


def slowest_blocks(path: Path, count: int = 10) -> list[dict]:
    """The executed code blocks (markdown-exec names them ``<code block: id ...>``) that took longest."""
    stats = pstats.Stats(str(path)).stats  # type: ignore[attr-defined]
    blocks = [
        {"block": filename.removeprefix("<code block: ").removesuffix(">"), "seconds": round(ct, 2)}
        for (filename, _, name), (_, _, _, ct, _) in stats.items()
        if filename.startswith("<code block") and name == "<module>"
    ]
    return sorted(blocks, key=lambda b: b["seconds"], reverse=True)[:count]


def _regex_in_to_svg(stats: dict) -> float:
    """Time spent in re.sub called directly from site_tools.plot.to_svg."""
    seconds = 0.0
    for (filename, _, name), (_, _, _, _, callers) in stats.items():
        if name == "sub" and filename.replace(os.sep, "/").endswith("re/__init__.py"):
            for (caller_file, _, caller_name), (_, _, _, ct) in callers.items():
                if caller_name == "to_svg" and caller_file.endswith("plot.py"):
                    seconds += ct
    return seconds


# ---------------------------------------------------------------------------------------------
# output

COLUMNS = [
    ("case", "case"),
    ("term_pages", "term pages"),
    ("exec_blocks", "exec blocks"),
    ("wall_s", "wall s"),
    ("cpu_s", "CPU s"),
    ("peak_rss_mb", "peak RSS MiB"),
    ("note", "note"),
]


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"
    return str(value)


def machine() -> dict:
    return {"cpu_count": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.build", description=__doc__.split("\n\n")[0])
    parser.add_argument("--sizes", default=",".join(map(str, DEFAULT_SIZES)),
                        help="comma-separated numbers of generated copies (default: %(default)s)")
    parser.add_argument("--quick", action="store_true", help=f"N = {', '.join(map(str, QUICK_SIZES))}")
    parser.add_argument("--out", type=Path, default=RESULTS / "build.json", help="JSON file to write")
    parser.add_argument("--editions-only", action="store_true",
                        help="measure only the cold build of both editions against English alone, and update "
                             "that part (\"editions\") of --out")
    parser.add_argument("--keep-site", type=Path, help="copy the site built for N = 0 here (for benchmarks.reader)")
    parser.add_argument("--profile", type=Path,
                        help="run the first size's build under cProfile, save the profile here and print where the time goes "
                             "(that build's wall time then includes the profiler's overhead)")
    args = parser.parse_args(argv)
    args.sizes = QUICK_SIZES if args.quick else tuple(sorted({int(s) for s in args.sizes.split(",") if s.strip()}))
    if len(args.sizes) < 2:
        parser.error("--sizes needs at least two sizes for the fit")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.editions_only:
        with tempfile.TemporaryDirectory(prefix="glossary-bench-") as tmp:
            editions = run_editions(Path(tmp))
        result = json.loads(args.out.read_text(encoding="utf-8")) if args.out.is_file() else {}
        result["editions"] = editions
        args.out.write_text(json.dumps(result, indent=1) + "\n", encoding="utf-8")
        print(table(EDITION_COLUMNS, editions["rows"], _fmt))
        return 0
    load_start = list(os.getloadavg())
    runs: list[Run] = []
    with tempfile.TemporaryDirectory(prefix="glossary-bench-") as tmp:
        scratch = Path(tmp)
        for step in (run_imports, run_empty):
            runs.append(step(scratch))
            print(f"  {runs[-1].case}: {runs[-1].wall_s:.1f} s wall, {runs[-1].cpu_s:.1f} s CPU, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
        for n in args.sizes:
            keep = args.keep_site if n == 0 else None
            profile = args.profile if n == args.sizes[0] else None
            run, plots = run_size(scratch, n, keep, profile)  # plots on the real pages: the same for every n
            runs.append(run)
            print(f"  {runs[-1].case}: {runs[-1].wall_s:.1f} s wall, {runs[-1].cpu_s:.1f} s CPU, load {os.getloadavg()[0]:.1f}", file=sys.stderr, flush=True)
            shutil.rmtree(scratch / f"n{n}", ignore_errors=True)  # the copies are large; free the disk
        editions = run_editions(scratch)
        rebuilds = run_rebuilds(scratch)
        for row in rebuilds["rows"]:
            print(f"  {row['case']}: {row['seconds']:.2f} s ({row['blocks_run']} blocks run)", file=sys.stderr, flush=True)

    empty = next(r for r in runs if r.case == "empty site")
    sized = [r for r in runs if r.case.startswith("N = ")]
    # a profiled build is slower than a plain one: leave it out of the fit if there are enough others
    fitted = [r for r in sized if "cProfile" not in r.note] if args.profile else sized
    fitted = fitted if len(fitted) >= 2 else sized
    slope, intercept, r2 = least_squares([r.term_pages for r in fitted], [r.wall_s for r in fitted])
    real = sized[0]
    mean_per_page = (real.wall_s - empty.wall_s) / real.term_pages if real.term_pages else float("nan")
    step_slopes = [
        {
            "from": a.term_pages,
            "to": b.term_pages,
            "seconds_per_page": round((b.wall_s - a.wall_s) / (b.term_pages - a.term_pages), 4),
            "cpu_seconds_per_page": round((b.cpu_s - a.cpu_s) / (b.term_pages - a.term_pages), 4),
        }
        for a, b in zip(fitted, fitted[1:])
    ]
    cpu_slope, cpu_intercept, cpu_r2 = least_squares([r.term_pages for r in fitted], [r.cpu_s for r in fitted])
    rss_slope, rss_intercept, _ = least_squares([r.term_pages for r in fitted], [r.peak_rss_mb for r in fitted])

    rows = [{k: (round(v, 3) if isinstance(v, float) else v) for k, v in vars(r).items()} for r in runs]
    floor = figure_floor(plots, len(term_pages(ROOT / "docs")))
    result = {
        "title": "Strict MkDocs build: wall time and peak memory",
        "machine": machine(),
        "build_processes": jobs(),
        "figure_floor": floor,
        "load_average": {"start": load_start, "end": list(os.getloadavg())},
        "note": "the machine may be shared: wall time includes waiting for the CPU, CPU time does not",
        "columns": [list(c) for c in COLUMNS],
        "rows": rows,
        "rebuilds": rebuilds,
        "editions": editions,
        "fixed_cost": {
            "definition": "wall time of a strict build of the project with every term page removed from docs/ "
                          "(home, A-Z, tags pages, theme, hooks and search index stay)",
            "wall_s": round(empty.wall_s, 3),
            "peak_rss_mb": round(empty.peak_rss_mb, 1),
        },
        "mean_per_real_term_page_s": round(mean_per_page, 4),
        "mean_cpu_per_real_term_page_s": round((real.cpu_s - empty.cpu_s) / real.term_pages, 4),
        "fit": {
            "what": "least squares of wall seconds against executed term pages (real + copies) over the N runs",
            "seconds_per_page": round(slope, 4),
            "intercept_s": round(intercept, 3),
            "r_squared": round(r2, 5),
            "step_slopes": step_slopes,
            "cpu_seconds_per_page": round(cpu_slope, 4),
            "cpu_intercept_s": round(cpu_intercept, 3),
            "cpu_r_squared": round(cpu_r2, 5),
            "rss_mb_per_page": round(rss_slope, 3),
            "rss_intercept_mb": round(rss_intercept, 1),
        },
        "goals": {
            "seconds_per_term_page": GOAL_SECONDS_PER_PAGE,
            # a negative slope is noise (sizes too close together), not a fast build
            "met": slope <= GOAL_SECONDS_PER_PAGE if slope >= 0 else None,
            "linear": "see fit.step_slopes: equal slopes between consecutive sizes mean linear growth",
        },
    }
    if args.profile:
        result["profile"] = {"file": str(args.profile), "run": real.case, "parts": profile_breakdown(args.profile),
                             "slowest_blocks": slowest_blocks(args.profile)}

    print(table(COLUMNS, rows, _fmt))
    print()
    print(table(REBUILD_COLUMNS, rebuilds["rows"], _fmt))
    print()
    print(f"fixed cost (empty site): {empty.wall_s:.1f} s, {empty.peak_rss_mb:.0f} MiB peak")
    print(f"mean cost of a real term page: ({real.wall_s:.1f} - {empty.wall_s:.1f}) s / {real.term_pages} "
          f"= {mean_per_page:.3f} s")
    print(f"fit over {[r.term_pages for r in fitted]} term pages: {slope:.4f} s per page + {intercept:.1f} s "
          f"(R^2 = {r2:.4f}); goal <= {GOAL_SECONDS_PER_PAGE} s per page: {'inconclusive (negative slope: sizes too close)' if slope < 0 else 'met' if slope <= GOAL_SECONDS_PER_PAGE else 'MISSED'}")
    print("slope between consecutive sizes: " + ", ".join(
        f"{s['from']}->{s['to']}: {s['seconds_per_page']:.4f} s/page wall, {s['cpu_seconds_per_page']:.4f} s/page CPU"
        for s in step_slopes))
    print(f"CPU time fit: {cpu_slope:.4f} s per page + {cpu_intercept:.1f} s (R^2 = {cpu_r2:.4f}); "
          f"mean CPU per real term page: {(real.cpu_s - empty.cpu_s) / real.term_pages:.3f} s")
    print(f"peak memory: {rss_slope:.2f} MiB per page + {rss_intercept:.0f} MiB")
    print(f"build processes: {jobs()}; smallest plot: {floor['seconds'] * 1e3:.0f} ms to draw and save "
          f"({floor['plots_on_term_pages']} plots on {floor['term_pages']} term pages)")
    if args.profile:
        print()
        print(table([("part", "part"), ("seconds", "seconds"), ("share", "share")], result["profile"]["parts"], _fmt))
        print()
        print(table([("block", "slowest executed blocks (profiled)"), ("seconds", "seconds")], result["profile"]["slowest_blocks"], _fmt))
    write_json(args.out, result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
