"""The glossary for readers without a network: ``python3 dev.py bundle``.

Writes two files into ``dist/`` (or ``--out DIR``):

- ``dl-glossary-offline-<version>.zip``: the whole site built for the file system, in one folder
  ``dl-glossary-<version>/``. Unzip it and open ``index.html``: navigation, search (English and
  Chinese), plots, formulas and the standalone downloads work from ``file://`` with no request to
  any host. The build is the normal strict build with Material's ``offline`` plugin switched on
  (``GLOSSARY_OFFLINE=true``, see mkdocs.yml): links end in ``.html``, the search index is also
  written as a script (a page opened from disk may not fetch), and the search worker runs in an
  iframe through docs/assets/javascripts/iframe-worker.js (Chromium refuses web workers there);
- ``dl-glossary-cheat-sheet.pdf`` and ``dl-glossary-cheat-sheet.zh.pdf``: the cheat sheet
  (``/cheat-sheet/``, and the Chinese edition's ``/zh/cheat-sheet/``), printed on A4 by headless
  Chromium (``/usr/bin/chromium`` or ``--chromium PATH``) through Playwright, with the site's
  print stylesheet (no header, navigation or footer; no card split across two pages).

The zip holds both editions: the Chinese one under ``zh/``, with its own search index.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

from site_tools.chromium import CHROMIUM, CHROMIUM_ARGS

ROOT = Path(__file__).resolve().parent.parent


def version() -> str:
    """The package version (snippets.__version__), read from the source, not imported."""
    for line in (ROOT / "snippets" / "__init__.py").read_text(encoding="utf-8").splitlines():
        if line.startswith("__version__"):
            return line.split("=", 1)[1].strip().strip("\"'")
    raise RuntimeError("snippets/__init__.py defines no __version__")


def build_offline(dest: Path) -> None:
    """A strict build of the working tree for the file system into ``dest``."""
    env = {**os.environ, "GLOSSARY_OFFLINE": "true", "NO_MKDOCS_2_WARNING": "1"}
    done = subprocess.run([sys.executable, "-m", "mkdocs", "build", "--strict", "-d", str(dest)],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if done.returncode != 0:
        raise SystemExit(f"the offline build failed:\n{done.stdout[-3000:]}{done.stderr[-6000:]}")


def zip_site(site: Path, archive: Path, folder: str) -> None:
    """``site`` as ``archive``, every file under ``folder/``, in a stable order."""
    with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=9) as bundle:
        for path in sorted(site.rglob("*")):
            if path.is_file():
                bundle.write(path, f"{folder}/{path.relative_to(site).as_posix()}")


def print_pdf(page: Path, pdf: Path, chromium: str = CHROMIUM) -> None:
    """Print the HTML file ``page`` to ``pdf`` (A4, the page's print stylesheet) in headless Chromium."""
    from playwright.sync_api import sync_playwright

    if not Path(chromium).exists():
        raise SystemExit(f"{chromium} not found: install Chromium (Debian: apt-get install chromium) "
                         "or pass --chromium PATH")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        try:
            tab = browser.new_page()
            tab.goto(page.as_uri(), wait_until="load")
            tab.pdf(path=str(pdf), format="A4", prefer_css_page_size=True)
        finally:
            browser.close()


def bundle(out: Path, chromium: str = CHROMIUM) -> tuple[Path, ...]:
    """Build, zip and print; returns (zip, English pdf, Chinese pdf)."""
    out.mkdir(parents=True, exist_ok=True)
    name = f"dl-glossary-{version()}"
    with tempfile.TemporaryDirectory(prefix="glossary-bundle-") as tmp:
        site = Path(tmp) / name
        build_offline(site)
        archive = out / f"dl-glossary-offline-{version()}.zip"
        zip_site(site, archive, name)
        pdfs = (out / "dl-glossary-cheat-sheet.pdf", out / "dl-glossary-cheat-sheet.zh.pdf")
        print_pdf(site / "cheat-sheet.html", pdfs[0], chromium)
        print_pdf(site / "zh" / "cheat-sheet.html", pdfs[1], chromium)
    return archive, *pdfs


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m site_tools.bundle", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=ROOT / "dist", help="folder for the zip and the PDF (default: dist/)")
    parser.add_argument("--chromium", default=CHROMIUM, help=f"the Chromium binary that prints the PDF (default: {CHROMIUM})")
    args = parser.parse_args(argv)
    for path in bundle(args.out, args.chromium):
        print(f"wrote {path} ({path.stat().st_size / 1e6:.1f} MB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
