"""Two commands for a fresh machine: `python3 dev.py serve` and `python3 dev.py test`.

Each one creates `.venv/` next to this file on first use, installs the package with its
`docs` and `test` extras into it (again whenever pyproject.toml changes), then runs:

    serve  ->  mkdocs serve on http://127.0.0.1:8000 (rebuilds when docs/ or snippets/ change)
    test   ->  pytest: unit, property, gradient and reference tests, plus a strict site build

Extra arguments are passed on, e.g. `python3 dev.py test -k softmax`.
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


def ensure_env() -> None:
    """Create the virtual environment and (re)install the project when pyproject.toml changed."""
    if sys.version_info < (3, 11):
        sys.exit(f"Python >= 3.11 is needed, this is {sys.version.split()[0]}")
    if not PYTHON.exists():
        print(f"dev.py: creating {VENV.relative_to(ROOT)}/", flush=True)
        venv.create(VENV, with_pip=True)
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()
    if STAMP.exists() and STAMP.read_text() == digest:
        return
    print("dev.py: installing the project and its docs/test dependencies into .venv/", flush=True)
    subprocess.run(
        [str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--editable", f"{ROOT}[docs,test]"],
        check=True,
    )
    STAMP.write_text(digest)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"serve", "test"}:
        print(__doc__)
        return 2
    ensure_env()
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command, rest = argv[0], argv[1:]
    if command == "serve":
        args = ["-m", "mkdocs", "serve", "--dev-addr", "127.0.0.1:8000", *rest]
    else:
        args = ["-m", "pytest", *rest]
    return subprocess.run([str(PYTHON), *args], cwd=ROOT, env=env).returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
