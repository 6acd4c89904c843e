"""Helpers to build the site (or a fixture site) with the project's own configuration."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import yaml
from mkdocs.utils.yaml import yaml_load

ROOT = Path(__file__).resolve().parents[2]


def mkdocs(
    *args: str, cwd: Path = ROOT, timeout: float = 1800, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess:
    """Run ``python -m mkdocs ARGS`` and capture its log.

    ``SOURCE_DATE_EPOCH`` (the reproducible-builds convention, which MkDocs honours) fixes the
    sitemap's dates and the gzip header of sitemap.xml.gz, the only parts of a build that would
    otherwise carry the time of day. ``env`` adds variables (e.g. ``GLOSSARY_BUILD_JOBS``).
    """
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1", "SOURCE_DATE_EPOCH": "1767225600", **(env or {})}  # 2026-01-01
    return subprocess.run(
        [sys.executable, "-m", "mkdocs", *args],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout,
    )


def config_for(docs_dir: Path, tmp: Path) -> Path:
    """Write a copy of mkdocs.yml that builds ``docs_dir`` with the real hooks and settings."""
    # MkDocs' own loader: it resolves the !ENV tags (their defaults, in a test's environment)
    config = yaml_load((ROOT / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs_dir)
    config["hooks"] = [str(ROOT / hook) for hook in config["hooks"]]
    config["watch"] = [str(ROOT / path) for path in config.get("watch", [])]
    config["extra_css"] = []  # fixture docs carry no assets/
    for plugin in config["plugins"]:
        if isinstance(plugin, dict) and "i18n" in plugin:  # fixture docs are English only
            for language in plugin["i18n"]["languages"]:
                language["build"] = language.get("default", False)
    for ext in config["markdown_extensions"]:
        if isinstance(ext, dict) and "pymdownx.snippets" in ext:
            ext["pymdownx.snippets"]["base_path"] = [str(ROOT)]
    path = tmp / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return path

