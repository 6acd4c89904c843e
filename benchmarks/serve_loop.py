"""What ``mkdocs serve --dirty`` does on each change, without the web server: one process that
builds a project, then edits it and builds again, the way ``python3 dev.py serve`` rebuilds.

MkDocs' ``serve`` calls ``plugins.on_startup(command="serve", dirty=True)`` once, then for every
change loads the configuration again and calls ``build(config, dirty=True)`` into the same site
folder; this does exactly that, and times each build. Used by benchmarks/build.py (the rebuild
rows) and by tests/site/test_serve_loop.py (a dirty rebuild gives the bytes of a clean build).

    python -m benchmarks.serve_loop PROJECT SITE EDITS.json

EDITS.json is a list of ``{"name", "path", "old", "new"}``: replace ``old`` by ``new`` (once) in the
project's file ``path``, then rebuild. Prints one JSON object: the seconds of the first build and of
each rebuild, and how many python blocks each ran (from .cache/exec-log.json).
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from pathlib import Path


def main(argv: list[str]) -> int:
    project, site, edits = Path(argv[0]).resolve(), Path(argv[1]).resolve(), json.loads(Path(argv[2]).read_text())
    os.environ.setdefault("NO_MKDOCS_2_WARNING", "1")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s - %(message)s")  # as mkdocs' CLI shows them
    os.chdir(project)
    # as `mkdocs serve --dirty` has it: mkdocs-static-i18n builds the second edition dirty only when
    # its process was started with --dirty (it reads sys.argv), and rebuilds it whole otherwise
    sys.argv = [sys.argv[0], "serve", "--dirty"]
    sys.path.insert(0, str(project))  # as `python -m mkdocs` run in the project folder has it

    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    from site_tools import incremental

    def rebuild(first: bool = False) -> dict:
        config = load_config(str(project / "mkdocs.yml"), site_dir=str(site))
        if first:
            config.plugins.on_startup(command="serve", dirty=True)
        builds = len(incremental.conversions)
        start = time.perf_counter()
        build(config, dirty=True)
        seconds = time.perf_counter() - start
        converted = incremental.conversions[builds:]  # one list per edition
        log = json.loads((project / ".cache" / "exec-log.json").read_text(encoding="utf-8"))
        return {"seconds": round(seconds, 3), "blocks_run": len(log["ran"]),
                "pages_run": sorted({r["page"] for r in log["ran"]}),
                "converted": converted}

    results = [{"name": "first build", **rebuild(first=True)}]
    for edit in edits:
        path = project / edit["path"]
        text = path.read_text(encoding="utf-8")
        if edit["old"] not in text:
            raise SystemExit(f"{edit['path']}: {edit['old']!r} not found")
        path.write_text(text.replace(edit["old"], edit["new"], 1), encoding="utf-8")
        results.append({"name": edit["name"], **rebuild()})
    print(json.dumps(results))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
