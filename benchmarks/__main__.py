"""Run the benchmarks: ``python -m benchmarks [--quick] [build] [reader] [snippets]``.

(``python3 dev.py bench ...`` does this inside the project's virtual environment.) Each benchmark
runs in its own process, prints its table and writes ``benchmarks/results/<name>.json``, which
the site's Performance page reads. With no names, all three run, the slowest (build) first. ``--quick`` (small sizes, a smoke
test) writes to the temporary directory instead, leaving the published results alone.
The snippet timings run on one BLAS/OpenMP thread, as PyTorch is told to; the site build runs
as it normally would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

MODULES = {"build": "benchmarks.build", "reader": "benchmarks.reader", "snippets": "benchmarks.snippets_vs_reference"}
ONE_THREAD = {var: "1" for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS")}


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or list(MODULES)
    flags = [a for a in argv if a.startswith("-")]
    unknown = sorted(set(names) - set(MODULES))
    if unknown:
        print(f"unknown benchmark(s) {unknown}; choose from {sorted(MODULES)}", file=sys.stderr)
        return 2
    status = 0
    for name in names:
        env = {**os.environ, **(ONE_THREAD if name == "snippets" else {})}
        extra = []
        if "--quick" in flags:
            # a smoke test: its small-size numbers must not replace the published results
            extra = ["--out", str(Path(tempfile.gettempdir()) / f"dl-glossary-bench-quick-{name}.json")]
        print(f"== {name}", flush=True)
        status |= subprocess.run([sys.executable, "-m", MODULES[name], *flags, *extra], env=env).returncode
    return status


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
