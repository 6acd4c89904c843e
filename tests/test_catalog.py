"""Pages, modules and test files stay in step: docs/<family>/<slug>.md <-> snippets/<family>/<module>.py
<-> tests/<family>/test_<module>.py, and each page shows its module's code by named section."""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

import snippets
from site_tools.catalog import ROOT, load_terms
from site_tools.i18n import canonical

TERMS = load_terms()


def term_modules() -> list[Path]:
    """Every implementation module: snippets/<family>/<name>.py, not private, not __init__."""
    return sorted(
        path for path in (ROOT / "snippets").glob("*/*.py")
        if not path.name.startswith("_")
    )


# the terms issues 3 and 6 asked for, by family: each must exist as a page (with module and tests)
REQUESTED = {
    "activations": ["sigmoid", "softmax", "relu", "tanh", "leaky-relu", "gelu", "silu", "activation-function"],
    "losses": ["cross-entropy", "loss-function", "negative-log-likelihood", "kl-divergence", "label-smoothing"],
    "metrics": ["precision", "recall", "f1-score", "accuracy", "confusion-matrix", "roc-auc", "perplexity"],
    "regularization": ["l1-regularization", "l2-regularization", "dropout", "early-stopping", "data-augmentation"],
    "normalization": ["batch-normalization", "layer-normalization", "rms-normalization", "standardization"],
    "optimization": [
        "gradient", "backpropagation", "gradient-descent", "sgd", "momentum", "rmsprop", "adam",
        "learning-rate", "learning-rate-schedule", "chain-rule", "gradient-checking", "vanishing-gradient",
        "gradient-clipping",
    ],
    "initialization": ["xavier-initialization", "he-initialization"],
    "layers": [
        "fully-connected-layer", "multilayer-perceptron", "convolution", "padding-and-stride", "pooling",
        "residual-connection", "embedding",
    ],
    "recurrent": ["lstm", "gru", "recurrent-neural-network", "backpropagation-through-time"],
    "attention": ["attention", "self-attention", "multi-head-attention", "positional-encoding", "transformer"],
    "training": ["epoch", "train-validation-test-split", "overfitting", "bias-variance-tradeoff", "hyperparameter"],
    "probability": ["entropy", "maximum-likelihood", "logits", "log-sum-exp"],
}


# the 62 terms issue 16 asked for (../shared/terms-next.md, the twelve existing families)
REQUESTED_16 = {
    "activations": ["softplus", "elu", "selu", "mish", "glu", "hardtanh", "hardswish", "prelu"],
    "attention": [
        "cross-attention", "kv-cache", "rotary-position-embedding", "relative-position-encoding",
        "grouped-query-attention", "flash-attention", "additive-attention",
    ],
    "layers": [
        "depthwise-separable-convolution", "1x1-convolution", "transposed-convolution", "upsampling",
        "flatten", "global-average-pooling", "einsum", "broadcasting",
    ],
    "losses": [
        "focal-loss", "hinge-loss", "triplet-loss", "contrastive-loss", "infonce-loss",
        "cosine-embedding-loss", "ctc-loss",
    ],
    "metrics": ["average-precision", "expected-calibration-error"],
    "normalization": ["group-normalization", "instance-normalization", "weight-normalization"],
    "optimization": [
        "adagrad", "adadelta", "lamb", "muon", "one-cycle-policy", "exponential-moving-average", "saddle-point",
    ],
    "probability": [
        "bayes-theorem", "mutual-information", "gumbel-softmax", "cosine-similarity", "one-hot-encoding",
        "softmax-temperature",
    ],
    "recurrent": ["bidirectional-rnn"],
    "regularization": ["mixup"],
    "training": [
        "mini-batch", "cross-validation", "gradient-accumulation", "mixed-precision", "knowledge-distillation",
        "transfer-learning", "fine-tuning", "lora", "weight-tying", "ensembling", "quantization",
        "class-imbalance",
    ],
}


# the 34 terms issue 17 asked for, in its four new families
REQUESTED_17 = {
    "sequence": [
        "tokenization", "byte-pair-encoding", "word2vec", "negative-sampling", "glove", "n-gram-language-model",
        "seq2seq", "teacher-forcing", "greedy-decoding", "beam-search", "top-k-and-top-p-sampling", "bleu",
        "edit-distance", "masked-language-modeling",
    ],
    "vision": [
        "intersection-over-union", "non-maximum-suppression", "mean-average-precision", "anchor-boxes",
        "bounding-box", "receptive-field", "patch-embedding", "gram-matrix",
    ],
    "generative": [
        "autoencoder", "variational-autoencoder", "reparameterization-trick", "generative-adversarial-network",
        "diffusion-model", "frechet-inception-distance",
    ],
    "reinforcement": [
        "discounted-return", "bellman-equation", "q-learning", "epsilon-greedy", "policy-gradient",
        "proximal-policy-optimization",
    ],
}


@pytest.mark.parametrize(
    ("requested", "count"), [(REQUESTED, 69), (REQUESTED_16, 62), (REQUESTED_17, 34)],
    ids=["issues-3-6", "issue-16", "issue-17"],
)
def test_every_requested_term_has_a_page_in_its_family(requested: dict[str, list[str]], count: int) -> None:
    requested = {slug: family for family, slugs in requested.items() for slug in slugs}
    assert len(requested) == count
    missing = sorted(slug for slug in requested if slug not in TERMS)
    assert missing == [], f"requested terms without a page: {missing}"
    misplaced = sorted(slug for slug, family in requested.items() if TERMS[slug].family != family)
    assert misplaced == [], f"terms in the wrong family: {misplaced}"
    assert len(TERMS) >= 69 + 62 + 34


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_page_has_module_and_test_file(slug: str) -> None:
    term = TERMS[slug]
    module = importlib.import_module(term.module)
    assert (ROOT / term.test_file).is_file(), f"missing {term.test_file}"
    assert module.__all__, f"{term.module} exports nothing"


@pytest.mark.parametrize("path", term_modules(), ids=lambda p: p.relative_to(ROOT).as_posix())
def test_every_module_has_a_page(path: Path) -> None:
    family, stem = path.parent.name, path.stem
    pages = [t for t in TERMS.values() if t.family == family and t.slug.replace("-", "_") == stem]
    assert pages, f"{path.relative_to(ROOT)} has no page docs/{family}/{stem.replace('_', '-')}.md"


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_page_includes_every_public_function_by_section(slug: str) -> None:
    term = TERMS[slug]
    module = importlib.import_module(term.module)
    source_path = Path(module.__file__).relative_to(ROOT).as_posix()
    source = Path(module.__file__).read_text(encoding="utf-8")
    page = (ROOT / "docs" / term.page).read_text(encoding="utf-8")
    for name in module.__all__:
        assert getattr(snippets, name) is getattr(module, name), f"{name} is not exported by snippets"
        assert f"# --8<-- [start:{name}]" in source and f"# --8<-- [end:{name}]" in source, (
            f"{source_path} has no named section for {name}"
        )
        assert f'--8<-- "{source_path}:{name}"' in page, f"docs/{term.page} does not include {name}"
        doc = getattr(module, name).__doc__ or ""
        assert "Parameters" in doc and "Returns" in doc and ">>> " in doc, (
            f"{name}: the docstring needs Parameters, Returns and a doctest example"
        )


@pytest.mark.parametrize("slug", sorted(TERMS))
def test_exec_blocks_have_ids_and_private_sessions(slug: str) -> None:
    page = (ROOT / "docs" / TERMS[slug].page).read_text(encoding="utf-8")
    fences = re.findall(r"^```python ([^\n]*exec=[^\n]*)$", page, re.M)
    assert fences, "a term page executes code"
    for options in fences:
        assert re.search(r'\bid="[^"]+"', options), f"exec block without id: {options}"
        session = re.search(r'\bsession="([^"]+)"', options)
        assert session is None or session.group(1) == slug, f"session must be the page's slug: {options}"


def test_no_markdown_exec_session_spans_two_pages() -> None:
    """Sessions are kept per page (site_tools/execute.py runs pages in different processes and caches a
    session by its page): a session name used on two pages would be two sessions. A page and its
    translation (sigmoid.md, sigmoid.zh.md) count as one page: they run the same session."""
    pages_of: dict[str, set[str]] = {}
    for path in sorted((ROOT / "docs").rglob("*.md")):
        for session in re.findall(r'^```+\s*\w+ [^\n]*\bsession="([^"]+)"', path.read_text(encoding="utf-8"), re.M):
            pages_of.setdefault(session, set()).add(canonical(path.relative_to(ROOT / "docs").as_posix()))
    assert len(pages_of) >= len(TERMS), "every term page has a session"
    shared = {session: sorted(pages) for session, pages in pages_of.items() if len(pages) > 1}
    assert shared == {}


def docs_extra_distributions() -> set[str]:
    """The distributions `pip install .[docs]` brings: the project's numpy, the docs extra, and
    everything those require, read from the installed metadata."""
    from packaging.requirements import Requirement

    def normal(name: str) -> str:
        return re.sub(r"[-_.]+", "-", name).lower()

    wanted = [Requirement(r) for r in importlib.metadata.requires("dl-glossary-snippets") or []]
    todo = [r.name for r in wanted if r.marker is None or r.marker.evaluate({"extra": "docs"})]
    seen: set[str] = set()
    while todo:
        name = normal(todo.pop())
        if name in seen:
            continue
        seen.add(name)
        try:
            requires = importlib.metadata.requires(name) or []
        except importlib.metadata.PackageNotFoundError:
            continue
        for text in requires:
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                todo.append(requirement.name)
    return seen


def test_pages_import_only_what_the_docs_extra_installs() -> None:
    """`python3 dev.py serve` installs the docs extra only: a page importing a reference library
    (torch, scikit-learn) would abort a newcomer's build. CI builds with the docs extra alone too."""
    import ast
    import sys

    from site_tools.execute import fenced_blocks

    allowed = docs_extra_distributions()
    assert {"numpy", "matplotlib", "mkdocs", "scipy"} <= allowed
    providers = importlib.metadata.packages_distributions()
    outside = set()
    for path in sorted((ROOT / "docs").rglob("*.md")):
        for block in fenced_blocks(path.read_text(encoding="utf-8")):
            for node in ast.walk(ast.parse(block.code)):
                names = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                    [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else [])
                for name in names:
                    top = name.split(".")[0]
                    if top in sys.stdlib_module_names or (ROOT / top / "__init__.py").is_file():
                        continue
                    dists = {re.sub(r"[-_.]+", "-", d).lower() for d in providers.get(top, [top])}
                    if not dists & allowed:
                        outside.add(f"{path.relative_to(ROOT).as_posix()} ({block.id}): {name}")
    assert sorted(outside) == []


def test_public_api_matches_the_modules() -> None:
    exported = set(snippets.__all__)
    from_modules = {
        name for path in term_modules()
        for name in importlib.import_module(
            "snippets." + ".".join(path.relative_to(ROOT / "snippets").with_suffix("").parts)
        ).__all__
    }
    assert exported == from_modules


def test_no_name_points_at_two_terms() -> None:
    """A title, alias, Chinese name or misspelling must identify one term (search relies on it)."""
    owners: dict[str, set[str]] = {}
    for term in TERMS.values():
        for name in term.names:
            owners.setdefault(name.casefold(), set()).add(term.slug)
    shared = {name: sorted(slugs) for name, slugs in owners.items() if len(slugs) > 1}
    assert shared == {}


def test_jieba_dictionary_keeps_every_chinese_name_whole() -> None:
    import jieba

    from site_tools.catalog import jieba_user_dict

    tokenizer = jieba.Tokenizer()
    for line in jieba_user_dict(TERMS).splitlines():
        word, freq = line.rsplit(" ", 1)
        tokenizer.add_word(word, int(freq))
    for term in TERMS.values():
        for name in term.zh:
            word = name.replace(" ", "")
            assert word in list(tokenizer.cut(word)), f"jieba splits {word!r}: {list(tokenizer.cut(word))}"


def test_every_term_page_has_a_formula_for_the_cheat_sheet() -> None:
    # load_terms() refuses a page without one; this checks what it holds: one line of LaTeX each
    assert all(term.formula and "\n" not in term.formula for term in TERMS.values())
    assert TERMS["sigmoid"].formula == r"\sigma(x) = \frac{1}{1 + e^{-x}}"


@pytest.mark.parametrize(
    ("formula_line", "message"),
    [
        (None, "front matter lacks formula"),
        ("formula: ''", "'formula' must be one line of LaTeX"),
        ("formula: '$x^2$'", "without delimiters"),
        (r"formula: '\frac{1}{'", "does not convert to MathML"),
    ],
)
def test_a_missing_or_broken_formula_fails_with_the_page_named(tmp_path: Path, formula_line, message) -> None:
    from site_tools.catalog import CatalogError

    page = (ROOT / "docs" / TERMS["relu"].page).read_text(encoding="utf-8")
    lines = [line for line in page.splitlines() if not line.startswith("formula:")]
    if formula_line is not None:
        lines.insert(lines.index("---", 1), formula_line)
    (tmp_path / "activations").mkdir()
    (tmp_path / "activations" / "relu.md").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    with pytest.raises(CatalogError, match=re.escape(message)) as error:
        load_terms(tmp_path)
    assert "docs/activations/relu.md" in str(error.value)
