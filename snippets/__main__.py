"""``python -m snippets``: see snippets/_cli.py."""

import sys

from snippets._cli import main

if __name__ == "__main__":
    sys.exit(main())
