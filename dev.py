"""Two commands for a fresh machine: `python3 dev.py serve` and `python3 dev.py test`.

Each one creates `.venv/` next to this file on first use, installs the package with its
`docs` and `test` extras into it (again whenever pyproject.toml changes), then runs:

    serve  ->  mkdocs serve --dirty on http://127.0.0.1:8000: after an edit under docs/, snippets/ or
               site_tools/ it converts only the pages that change and re-runs only the code blocks
               whose inputs changed (site_tools/incremental.py, site_tools/execute.py)
    test   ->  pytest, one worker per core (pytest-xdist, a test module to a worker): unit, property,
               gradient and reference tests, plus a strict site build and the browser tests
    bundle ->  the offline bundle: dist/dl-glossary-offline-<version>.zip (the whole site, opened from
               index.html with no network) and dist/dl-glossary-cheat-sheet.pdf (printed by headless
               Chromium, /usr/bin/chromium); see site_tools/bundle.py
    bench  ->  the benchmarks in benchmarks/ (also installs the `ref` extra: PyTorch, scipy,
               scikit-learn); they print tables and write benchmarks/results/*.json, which the
               site's Performance page shows

Extra arguments are passed on, e.g. `python3 dev.py test -k softmax`, `python3 dev.py bench --quick`.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
PYTHON = BIN / ("python.exe" if os.name == "nt" else "python")
STAMP = VENV / ".installed-from"


def ensure_env(extras: str = "docs,test") -> None:
    """Create the virtual environment and (re)install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python >= 3.11 is needed, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV.relative_to(ROOT)}/", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    installed = STAMP.read_text().split() if STAMP.exists() else []
    # the stamp records the pyproject digest and every extra installed from it
    if installed[:1] == [digest] and set(extras.split(",")) <= set(installed[1:]):
        return
    extras = ",".join(sorted(set(extras.split(",")) | set(installed[1:] if installed[:1] == [digest] else [])))
    print(f"dev.py: installing the project with its [{extras}] dependencies into .venv/", flush=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--editable", f"{ROOT}[{extras}]"],
        check=True,
    )
    STAMP.write_text(" ".join([digest, *extras.split(",")]))


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test", "bench", "bundle"}:
        print(__doc__)
        return 2
    command, rest = argv[0], argv[1:]
    ensure_env("docs,test,ref" if command == "bench" else "docs,test")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    if command == "serve":
        args = ["-m", "mkdocs", "serve", "--dirty", "--dev-addr", "127.0.0.1:8000", *rest]
    elif command == "bench":
        args = ["-m", "benchmarks", *rest]
    elif command == "bundle":
        args = ["-m", "site_tools.bundle", *rest]
    else:
        # one worker per core, at most four (pytest-xdist; `-n 0` after the command runs in-process).
        # A module runs on one worker, so its module-scoped fixtures (a cold build, the offline bundle)
        # are made once. (Not --dist loadgroup: pytest-xdist 3.8 marks a group by assigning
        # item._nodeid, which pytest 9 no longer reads, so groups are silently ignored.)
        workers = str(min(os.cpu_count() or 1, 4))
        args = ["-m", "pytest", "-n", workers, "--dist", "loadscope", *rest]
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
