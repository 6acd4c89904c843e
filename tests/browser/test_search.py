"""Search finds a term the way people type it: names, aliases, abbreviations, Chinese, fragments.

Two query sets: every name in every page's front matter (title, aliases, Chinese names,
misspellings), which grows with the glossary; and QUERIES, written by hand from how people actually
search (lower case, fragments, synonyms that are not a page title). For each, the term's own page
must be the first result. The hit rate over all of them is printed at the end of the test run.

The hand-written queries, and every name glued across scripts ("S型函数"), are typed into the
search box. The names, some two thousand per edition, go to Material's search worker in one batch
(search.search_all): typing them took about twelve minutes of every test run. The batch is
trusted because every typed query is also in it, and the test that types a query checks that the
box showed the batch's results, in the batch's order.
"""

from __future__ import annotations

import re

import pytest

from site_tools.catalog import load_terms
from tests.browser.search import record, search, search_all

pytestmark = pytest.mark.browser

TERMS = load_terms()

# (query, slug): what a reader types, and the page that must come first.
QUERIES = [
    ("sigmoid", "sigmoid"),
    ("logistic function", "sigmoid"),
    ("logistic sigmoid", "sigmoid"),
    ("expit", "sigmoid"),
    ("sigm", "sigmoid"),
    ("S 型函数", "sigmoid"),
    ("逻辑斯谛", "sigmoid"),
    ("softmax", "softmax"),
    ("softargmax", "softmax"),
    ("soft arg max", "softmax"),
    ("normalized exponential", "softmax"),
    ("log softmax", "softmax"),
    ("softm", "softmax"),
    ("归一化指数函数", "softmax"),
    ("cross entropy", "cross-entropy"),
    ("cross-entropy", "cross-entropy"),
    ("CE", "cross-entropy"),
    ("ce loss", "cross-entropy"),
    ("BCE", "cross-entropy"),
    ("log loss", "cross-entropy"),
    ("binary cross entropy", "cross-entropy"),
    ("交叉熵", "cross-entropy"),
    ("交叉熵损失", "cross-entropy"),
    ("交叉", "cross-entropy"),
    ("gradient", "gradient"),
    ("nabla", "gradient"),
    ("finite difference", "gradient"),
    ("numerical gradient", "gradient"),
    ("梯度", "gradient"),
    ("relu", "relu"),
    ("rectified linear unit", "relu"),
    ("dying relu", "relu"),
    ("hyperbolic tangent", "tanh"),
    ("双曲正切", "tanh"),
    ("weight decay", "l2-regularization"),
    ("ridge", "l2-regularization"),
    ("权重衰减", "l2-regularization"),
    ("lasso", "l1-regularization"),
    ("sparsity", "l1-regularization"),
    ("dropout", "dropout"),
    ("丢弃法", "dropout"),
    ("internal covariate shift", "batch-normalization"),
    ("batchnorm", "batch-normalization"),
    ("BN", "batch-normalization"),
    ("批量规范化", "batch-normalization"),
    ("批量归一化", "batch-normalization"),
    ("backprop", "backpropagation"),
    ("反向传播", "backpropagation"),
    ("reverse mode autodiff", "backpropagation"),
    ("LSTM", "lstm"),
    ("long short term memory", "lstm"),
    ("长短期记忆", "lstm"),
    ("GRU", "gru"),
    ("gated recurrent unit", "gru"),
    ("MSE", "loss-function"),
    ("mean squared error", "loss-function"),
    ("huber", "loss-function"),
    ("cost function", "loss-function"),
    ("损失函数", "loss-function"),
    ("precision", "precision"),
    ("查准率", "precision"),
    ("sensitivity", "recall"),
    ("召回率", "recall"),
    ("f1", "f1-score"),
    ("F-measure", "f1-score"),
    ("F1 分数", "f1-score"),
    # issue 16's terms, as people type them: partial, run together, lower case, short forms
    ("1x1 conv", "1x1-convolution"),
    ("pointwise conv", "1x1-convolution"),
    ("adadelta", "adadelta"),
    ("adagrad", "adagrad"),
    ("precision recall curve", "average-precision"),
    ("imbalanced dataset", "class-imbalance"),
    ("class weight", "class-imbalance"),
    ("cosine embedding", "cosine-embedding-loss"),
    ("cosine sim", "cosine-similarity"),
    ("encoder decoder attention", "cross-attention"),
    ("kfold", "cross-validation"),
    ("ctc", "ctc-loss"),
    ("depthwise conv", "depthwise-separable-convolution"),
    ("elu", "elu"),
    ("calibration error", "expected-calibration-error"),
    ("finetune", "fine-tuning"),
    ("flash attn", "flash-attention"),
    ("focal", "focal-loss"),
    ("global pooling", "global-average-pooling"),
    ("swiglu", "glu"),
    ("grad accumulation", "gradient-accumulation"),
    ("groupnorm", "group-normalization"),
    ("gqa", "grouped-query-attention"),
    ("gumbel", "gumbel-softmax"),
    ("hinge", "hinge-loss"),
    ("instancenorm", "instance-normalization"),
    ("lora", "lora"),
    ("bf16", "mixed-precision"),
    ("mutual info", "mutual-information"),
    ("one cycle", "one-cycle-policy"),
    ("onehot", "one-hot-encoding"),
    ("int8", "quantization"),
    ("deconv", "transposed-convolution"),
    ("triplet", "triplet-loss"),
    ("bilinear", "upsampling"),
    ("weightnorm", "weight-normalization"),
    ("tied embedding", "weight-tying"),
    # issue 17: vision, generative models, reinforcement learning
    ("iou", "intersection-over-union"),
    ("giou loss", "intersection-over-union"),
    ("jaccard", "intersection-over-union"),
    ("non maximum suppression", "non-maximum-suppression"),
    ("soft nms", "non-maximum-suppression"),
    ("box formats", "bounding-box"),
    ("box coder", "bounding-box"),
    ("anchor box", "anchor-boxes"),
    ("default box", "anchor-boxes"),
    ("gan loss", "generative-adversarial-network"),
    ("non-saturating", "generative-adversarial-network"),
    ("wasserstein gan", "generative-adversarial-network"),
    ("fid score", "frechet-inception-distance"),
    ("frechet", "frechet-inception-distance"),
    ("autoenc", "autoencoder"),
    ("denoising ae", "autoencoder"),
    ("bellman", "bellman-equation"),
    ("markov decision", "bellman-equation"),
    ("reward to go", "discounted-return"),
    ("discount", "discounted-return"),
    ("epsilon greedy exploration", "epsilon-greedy"),
    ("reinforce", "policy-gradient"),
    ("actor critic", "policy-gradient"),
    ("ppo clip", "proximal-policy-optimization"),
    ("q learning", "q-learning"),
    ("deep q network", "q-learning"),
    ("levenshtein", "edit-distance"),
    ("word error", "edit-distance"),
    ("nucleus", "top-k-and-top-p-sampling"),
    ("top k", "top-k-and-top-p-sampling"),
    ("beam", "beam-search"),
    ("bleu score", "bleu"),
    ("subword", "byte-pair-encoding"),
    ("bigram model", "n-gram-language-model"),
    ("masked language model", "masked-language-modeling"),
    ("teacher forced", "teacher-forcing"),
    ("skipgram model", "word2vec"),
    ("negative samples", "negative-sampling"),
    ("glove embeddings", "glove"),
    ("encoder decoder", "seq2seq"),
]


def searchable(name: str) -> bool:
    """Names a reader can type as they are. lunr's trimmer strips characters that are not word
    characters (Latin letters, digits, CJK), so σ, ∇ or the ℓ of "ℓ1 regularization" vanish from
    the query; such names are shown on the page, and their spelled forms are what search finds."""
    return all(ch.isascii() or "\u4e00" <= ch <= "\u9fff" for ch in name) and any(ch.isalnum() for ch in name)


def name_queries() -> list[tuple[str, str]]:
    return [
        (name, term.slug)
        for term in TERMS.values()
        for name in term.names
        if searchable(name)
    ]


LATIN_HAN = re.compile(r"(?<=[A-Za-z0-9])\s+(?=[\u4e00-\u9fff])|(?<=[\u4e00-\u9fff])\s+(?=[A-Za-z0-9])")


def mixed_script_queries() -> list[tuple[str, str]]:
    """Every Chinese name with a Latin or digit part, typed the way such names usually are: without
    the space between the scripts ("S型函数", "L1正则化", "带泄露的ReLU"); with the space, it is
    in name_queries() already."""
    return [
        (LATIN_HAN.sub("", name), term.slug)
        for term in TERMS.values()
        for name in term.zh
        if LATIN_HAN.search(name)
    ]


def expected_path(slug: str) -> str:
    return TERMS[slug].page.removesuffix(".md") + "/"


def test_hand_written_queries_name_existing_terms() -> None:
    missing = sorted({slug for _, slug in QUERIES} - set(TERMS))
    assert missing == [], f"QUERIES expect pages that do not exist: {missing}"
    assert len(QUERIES) + len(name_queries()) >= 40


def test_mixed_script_queries_cover_every_such_name() -> None:
    glued = dict(mixed_script_queries())
    assert {"S型函数", "L1正则化", "带泄露的ReLU", "F1分数", "Z-score标准化"} <= set(glued)
    assert all(LATIN_HAN.search(query) is None for query in glued)


TYPED = QUERIES + mixed_script_queries()


def same_as_batch(shown: list[str], batch: list[str]) -> bool:
    """The box shows the first ten results (more as the reader scrolls), in the worker's order."""
    return shown == batch[:len(shown)] and len(shown) >= min(10, len(batch))


@pytest.fixture(scope="module")
def batch(search_tab) -> dict[str, list[str]]:
    return search_all(search_tab.page, [query for query, _ in TYPED + name_queries()])


@pytest.mark.parametrize(("query", "slug"), TYPED, ids=lambda v: v)
def test_typed_query_finds_the_term_page_first(search_tab, base_url: str, batch, query: str, slug: str) -> None:
    paths = search(search_tab.page, base_url, query)
    record(query, expected_path(slug), paths)
    assert paths, f"{query!r} found nothing"
    assert paths[0] == expected_path(slug), f"{query!r}: first results {paths[:3]}"
    assert same_as_batch(paths, batch[query]), f"{query!r}: typed {paths[:5]}, batch {batch[query][:5]}"


@pytest.mark.parametrize(("query", "slug"), name_queries(), ids=lambda v: v)
def test_every_name_finds_its_term_page_first(batch, query: str, slug: str) -> None:
    paths = batch[query]
    record(query, expected_path(slug), paths)
    assert paths, f"{query!r} found nothing"
    assert paths[0] == expected_path(slug), f"{query!r}: first results {paths[:3]}"


# The Chinese edition (/zh/) searches its own pages. (query, slug), written by hand from how a
# Chinese reader types: a name's leading part, a common synonym that is not the title, and the
# English names and abbreviations Chinese text uses as they are.
ZH_QUERIES = [
    ("梯度下降", "gradient-descent"),
    ("交叉熵损失", "cross-entropy"),
    ("交叉熵", "cross-entropy"),
    ("ReLU", "relu"),
    ("relu", "relu"),
    ("CE", "cross-entropy"),
    ("batchnorm", "batch-normalization"),
    ("BN", "batch-normalization"),
    ("批归一化", "batch-normalization"),
    ("批量规范化", "batch-normalization"),
    ("层归一化", "layer-normalization"),
    ("LayerNorm", "layer-normalization"),
    ("归一化指数函数", "softmax"),
    ("softmax", "softmax"),
    ("sigmoid", "sigmoid"),
    ("激活函数", "activation-function"),
    ("多头注意力", "multi-head-attention"),
    ("位置编码", "positional-encoding"),
    ("自注意力", "self-attention"),
    ("卷积", "convolution"),
    ("池化", "pooling"),
    ("汇聚", "pooling"),
    ("暂退法", "dropout"),
    ("dropout", "dropout"),
    ("权重衰减", "l2-regularization"),
    ("学习率", "learning-rate"),
    ("余弦退火", "learning-rate-schedule"),
    ("动量", "momentum"),
    ("长短期记忆", "lstm"),
    ("LSTM", "lstm"),
    ("GRU", "gru"),
    ("困惑度", "perplexity"),
    ("查全率", "recall"),
    ("混淆矩阵", "confusion-matrix"),
    ("AUC", "roc-auc"),
    ("相对熵", "kl-divergence"),
    ("KL散度", "kl-divergence"),
    ("极大似然", "maximum-likelihood"),
    ("过拟合", "overfitting"),
    ("早停", "early-stopping"),
    ("反向传播", "backpropagation"),
    ("梯度消失", "vanishing-gradient"),
    ("梯度爆炸", "vanishing-gradient"),
    ("Adam", "adam"),
    ("SGD", "sgd"),
    ("小批量随机梯度下降", "sgd"),
    ("超参数", "hyperparameter"),
    ("训练集", "train-validation-test-split"),
    ("Transformer", "transformer"),
    # issue 16's terms: the first characters of a name, a common short form
    ("低秩", "lora"),
    ("独热", "one-hot-encoding"),
    ("K折", "cross-validation"),
    ("分组查询", "grouped-query-attention"),
    ("深度可分离", "depthwise-separable-convolution"),
    ("三元组", "triplet-loss"),
    ("合页", "hinge-loss"),
    ("焦点损失", "focal-loss"),
    ("集成", "ensembling"),
    ("混合精度", "mixed-precision"),
    ("梯度累积", "gradient-accumulation"),
    ("类别不平衡", "class-imbalance"),
    ("上采样", "upsampling"),
    ("全局平均池化", "global-average-pooling"),
    ("门控线性", "glu"),
    ("校准误差", "expected-calibration-error"),
    ("交叉注意力", "cross-attention"),
    ("权重绑定", "weight-tying"),
    ("量化", "quantization"),
    ("微调", "fine-tuning"),
    # issue 17
    ("交并比", "intersection-over-union"),
    ("IoU", "intersection-over-union"),
    ("非极大值", "non-maximum-suppression"),
    ("NMS", "non-maximum-suppression"),
    ("边界框", "bounding-box"),
    ("锚框", "anchor-boxes"),
    ("GAN", "generative-adversarial-network"),
    ("判别器", "generative-adversarial-network"),
    ("FID", "frechet-inception-distance"),
    ("自编码", "autoencoder"),
    ("贝尔曼", "bellman-equation"),
    ("马尔可夫决策", "bellman-equation"),
    ("折扣因子", "discounted-return"),
    ("探索与利用", "epsilon-greedy"),
    ("策略梯度", "policy-gradient"),
    ("PPO", "proximal-policy-optimization"),
    ("近端策略", "proximal-policy-optimization"),
    ("Q学习", "q-learning"),
    ("DQN", "q-learning"),
    ("词错误", "edit-distance"),
    ("集束", "beam-search"),
    ("核采样", "top-k-and-top-p-sampling"),
    ("BLEU", "bleu"),
    ("词元", "tokenization"),
    ("字节对", "byte-pair-encoding"),
    ("二元语法", "n-gram-language-model"),
    ("掩蔽语言", "masked-language-modeling"),
    ("强制教学", "teacher-forcing"),
    ("跳元", "word2vec"),
    ("负采样", "negative-sampling"),
    ("GloVe", "glove"),
    ("编码器-解码器", "seq2seq"),
]


def test_zh_queries_name_existing_terms() -> None:
    missing = sorted({slug for _, slug in ZH_QUERIES} - set(TERMS))
    assert missing == [] and len(ZH_QUERIES) >= 40


ZH_TYPED = ZH_QUERIES + mixed_script_queries()


@pytest.fixture(scope="module")
def zh_batch(zh_search_tab) -> dict[str, list[str]]:
    return search_all(zh_search_tab.page, [query for query, _ in ZH_TYPED + name_queries()])


@pytest.mark.parametrize(("query", "slug"), ZH_TYPED, ids=lambda v: v)
def test_typed_query_finds_the_chinese_page_first_on_the_chinese_site(
    zh_search_tab, base_url: str, zh_batch, query: str, slug: str
) -> None:
    paths = search(zh_search_tab.page, f"{base_url}zh/", query)
    record(query, f"zh/{expected_path(slug)}", [f"zh/{path}" for path in paths])
    assert paths, f"{query!r} found nothing on the Chinese site"
    assert paths[0] == expected_path(slug), f"{query!r}: first results {paths[:3]}"
    assert same_as_batch(paths, zh_batch[query]), f"{query!r}: typed {paths[:5]}, batch {zh_batch[query][:5]}"


@pytest.mark.parametrize(("query", "slug"), name_queries(), ids=lambda v: v)
def test_every_name_finds_its_chinese_page_first_on_the_chinese_site(zh_batch, query: str, slug: str) -> None:
    paths = zh_batch[query]
    record(query, f"zh/{expected_path(slug)}", [f"zh/{path}" for path in paths])
    assert paths, f"{query!r} found nothing on the Chinese site"
    assert paths[0] == expected_path(slug), f"{query!r}: first results {paths[:3]}"


# Material's own search worker, loaded from the built site with a few lines added after it: once it
# has built its index from an edition's search_index.json, report every word its token set (where
# each query word is looked up, "method*" -> "method", "method_bi", ...) holds that its inverted
# index lacks, and the reverse. lunr's token set merges states by a key that is ambiguous when
# edges carry digits; at 131 terms, with page numbers as digits in the markers, it held
# "method_8116", and every query starting "method" failed (site_tools/search.py, page_tag).
CHECK_WORKER = """async ([workerUrl, indexUrl]) => {
    const source = await (await fetch(workerUrl)).text();
    const prelude = `const __import = importScripts;
        self.importScripts = (...urls) => __import(...urls.map(url => new URL(url, ${JSON.stringify(workerUrl)}).href));`;
    const check = `let __built = null;
        const __build = lunr.Builder.prototype.build;
        lunr.Builder.prototype.build = function () { return (__built = __build.call(this)); };
        addEventListener("message", ev => {
          if (ev.data !== "check") return;
          const inverted = new Set(Object.keys(__built.invertedIndex));
          const reachable = new Set(__built.tokenSet.toArray());
          postMessage({check: {
            words: inverted.size,
            phantom: [...reachable].filter(word => !inverted.has(word)).slice(0, 20),
            unreachable: [...inverted].filter(word => !reachable.has(word)).slice(0, 20),
          }});
        });`;
    const worker = new Worker(URL.createObjectURL(new Blob([prelude, source, check], {type: "text/javascript"})));
    const index = await (await fetch(indexUrl)).json();
    return await new Promise((resolve, reject) => {
      worker.onerror = ev => reject(new Error(ev.message));
      worker.onmessage = ev => {
        if (ev.data && ev.data.type === 1) worker.postMessage("check");  // READY: the index is built
        if (ev.data && ev.data.check) resolve(ev.data.check);
      };
      worker.postMessage({type: 0, data: index});  // SETUP, as Material's main thread sends it
    });
}"""


@pytest.mark.parametrize("edition", ["", "zh/"])
def test_the_worker_finds_every_indexed_word(tab, site, base_url: str, edition: str) -> None:
    (worker,) = (site / "assets" / "javascripts" / "workers").glob("search.*.min.js")
    tab.page.goto(base_url + edition)
    found = tab.page.evaluate(CHECK_WORKER, [f"{base_url}assets/javascripts/workers/{worker.name}",
                                             f"{base_url}{edition}search/search_index.json"])
    assert found["words"] > 5000, found  # the whole index was built
    assert found["phantom"] == [] and found["unreachable"] == [], found
