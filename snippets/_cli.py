"""``python -m snippets``: list, search and print the glossary's terms from a terminal.

    python -m snippets list                 every term: slug, family, title, Chinese name
    python -m snippets search QUERY         terms matching an English, Chinese or alias query
    python -m snippets show TERM > f.py     the term's standalone file (numpy only)

The names come from ``snippets/catalog.json``, generated from the glossary pages' front matter.
"""

from __future__ import annotations

import argparse
import difflib
import json
import sys
import unicodedata
from importlib import resources

from snippets import __version__
from snippets._standalone import standalone_source


def load_catalog() -> list[dict]:
    text = resources.files("snippets").joinpath("catalog.json").read_text(encoding="utf-8")
    return json.loads(text)["terms"]


def normalise(text: str) -> str:
    """Case-, width- and separator-insensitive form: 'Cross_Entropy' == 'cross entropy' == 'CROSS-ENTROPY'."""
    text = unicodedata.normalize("NFKC", text).casefold()
    for separator in "-_./":
        text = text.replace(separator, " ")
    words = text.split()
    # no spaces between CJK characters: 交叉 熵 == 交叉熵
    return "".join(words) if any(ord(ch) > 0x2E80 for ch in text) else " ".join(words)


def names(term: dict) -> list[str]:
    return [term["slug"], term["title"], *term["aliases"], *term["zh"], *term["misspellings"]]


def score(query: str, term: dict) -> float:
    """How well ``query`` names ``term``: exact name > prefix > word > substring > fuzzy."""
    q = normalise(query)
    if not q:
        return 0.0
    best = 0.0
    for name in map(normalise, names(term)):
        if q == name:
            best = max(best, 100)
        elif name.startswith(q):
            best = max(best, 80 + 10 * len(q) / len(name))
        elif f" {q}" in f" {name}":  # the start of a word: "entropy" in "cross entropy"
            best = max(best, 60)
        elif len(q) >= 3 and q in name:  # two letters inside a word match too much
            best = max(best, 50)
        else:
            matcher = difflib.SequenceMatcher(None, q, name)
            # ratio() only where its two cheap upper bounds reach 0.75 (as difflib.get_close_matches)
            if matcher.real_quick_ratio() >= 0.75 and matcher.quick_ratio() >= 0.75:
                ratio = matcher.ratio()
                if ratio >= 0.75:
                    best = max(best, 40 * ratio)
    if best == 0.0 and len(q) >= 3 and q in normalise(term["summary"]):
        best = 20
    return best


def rank(query: str, terms: list[dict]) -> list[dict]:
    scored = [(score(query, t), t["slug"], t) for t in terms]
    return [t for s, _, t in sorted(scored, key=lambda x: (-x[0], x[1])) if s > 0]


def suggestions(query: str, terms: list[dict], n: int = 3) -> list[str]:
    """The closest slugs/titles to a query that matched nothing exactly."""
    by_name = {normalise(name): t["slug"] for t in terms for name in names(t)}
    close = difflib.get_close_matches(normalise(query), list(by_name), n=n * 3, cutoff=0.5)
    return list(dict.fromkeys(by_name[c] for c in close))[:n] or [t["slug"] for t in rank(query, terms)[:n]]


def find(term_name: str, terms: list[dict]) -> dict | None:
    """The term that ``term_name`` names exactly (any of its names, normalised), else None."""
    q = normalise(term_name)
    for term in terms:
        if q in map(normalise, names(term)):
            return term
    return None


def cmd_list(args, terms, out) -> int:
    width = max(len(t["slug"]) for t in terms)
    fam = max(len(t["family"]) for t in terms)
    for t in sorted(terms, key=lambda t: t["slug"]):
        out.write(f"{t['slug']:<{width}}  {t['family']:<{fam}}  {t['title']} · {'、'.join(t['zh'])}\n")
    return 0


def cmd_search(args, terms, out) -> int:
    query = " ".join(args.query)
    hits = rank(query, terms)
    if not hits:
        hint = ", ".join(suggestions(query, terms))
        sys.stderr.write(f"no term matches {query!r}" + (f"; did you mean: {hint}?" if hint else "") + "\n")
        return 1
    for t in hits[: args.limit]:
        out.write(f"{t['slug']}  {t['title']} ({'、'.join(t['zh'])}) — {t['summary']}\n")
    return 0


def cmd_show(args, terms, out) -> int:
    name = " ".join(args.term)
    term = find(name, terms)
    if term is None:
        hint = ", ".join(suggestions(name, terms))
        sys.stderr.write(
            f"unknown term {name!r}" + (f"; did you mean: {hint}?" if hint else "")
            + "\n(python -m snippets list shows every term)\n"
        )
        return 2
    out.write(standalone_source(term["module"]))
    return 0


def main(argv: list[str] | None = None, out=None) -> int:
    out = out or sys.stdout
    parser = argparse.ArgumentParser(
        prog="python -m snippets",
        description="The deep-learning glossary's tested numpy snippets, from the terminal.",
    )
    parser.add_argument("--version", action="version", version=f"snippets {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="every term, one per line, with its family and Chinese name")
    search = sub.add_parser("search", help="terms matching an English, Chinese or alias query")
    search.add_argument("query", nargs="+")
    search.add_argument("-n", "--limit", type=int, default=10, help="at most this many results")
    show = sub.add_parser("show", help="print a term's standalone file: python -m snippets show softmax > softmax.py")
    show.add_argument("term", nargs="+")
    args = parser.parse_args(argv)
    commands = {"list": cmd_list, "search": cmd_search, "show": cmd_show}
    return commands[args.command](args, load_catalog(), out)
