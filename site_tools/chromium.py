"""How this project starts headless Chromium (Debian's package; Playwright never downloads one here).

Used by the offline bundle's PDF (site_tools/bundle.py), the reader benchmark and the browser tests.
"""

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",  # without these Chromium calls outside hosts on start
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
