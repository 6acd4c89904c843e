"""MkDocs hooks that must run after mkdocs-static-i18n's (a hook module has one function per event,
and site_tools/hooks.py's ``on_post_build`` must run before the search plugin writes its index).

- ``on_nav``: in a translated edition, the family sections are titled in its language and list
  their terms in its reading order (Chinese: by pinyin), as the family pages do;
- ``on_post_build``: once every edition is built, split the merged search index into one per
  language (site_tools/i18n.py); without a ``site_url`` drop the sitemap, whose addresses would
  read "None/..." (a sitemap needs the site's absolute address; MkDocs' own sitemap lists nothing then).
"""

from __future__ import annotations

from pathlib import Path

from mkdocs.plugins import event_priority
from mkdocs.structure.nav import Section

from site_tools import i18n
from site_tools.catalog import current_terms


@event_priority(-200)  # after mkdocs-static-i18n's (-100), which rebuilds the navigation
def on_nav(nav, config, files):
    lang = i18n.build_language(config)
    if lang == i18n.DEFAULT:
        return nav
    terms = {term.page: term for term in current_terms(Path(config["docs_dir"])).values()}
    for section in nav.items:
        if not isinstance(section, Section):
            continue
        pages = [item for item in section.children if getattr(item, "file", None) is not None]
        families = {i18n.canonical(page.file.src_uri).split("/")[0] for page in pages}
        if len(families) == 1 and (family := families.pop()) in i18n.FAMILIES_ZH:
            section.title = i18n.FAMILIES_ZH[family][0]

            def order(item, family=family):
                term = terms.get(i18n.canonical(getattr(getattr(item, "file", None), "src_uri", "")))
                return (0, "", "") if term is None else (1, *i18n.pinyin_key(term.title_in(lang)))

            section.children.sort(key=order)  # the family page (no term) first
    return nav


@event_priority(-200)  # after mkdocs-static-i18n's (-100), which built the other editions and merged their indexes
def on_post_build(config):
    if config.plugins.get("i18n") is None or not i18n.finishing(config):
        return
    site = Path(config["site_dir"])
    offline = next((p for name, p in config.plugins.items() if name.endswith("offline")), None)
    i18n.split_search_index(site, as_script=offline is not None and offline.config.enabled)
    if not config.get("site_url"):
        for name in ("sitemap.xml", "sitemap.xml.gz"):
            (site / name).unlink(missing_ok=True)
