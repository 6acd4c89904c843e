"""Build-time tools for the glossary site: the term catalog, plots, math and the MkDocs hooks.

Nothing here is part of the `snippets` package that readers install; it runs inside
`mkdocs build` / `mkdocs serve` (site_tools/hooks.py is registered in mkdocs.yml) and in tests.
"""
