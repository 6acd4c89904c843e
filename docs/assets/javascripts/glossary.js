/*
 * Keyboard access to what scrolls sideways: a display formula (.gl-math, a cheat-sheet card's
 * .gl-card__formula), a plot (.gl-figure) or a table (Material's .md-typeset__scrollwrap) wider
 * than the column is a scroll box, and a scroll box a keyboard cannot reach is one a
 * keyboard user cannot read to the end (WCAG 2.1.1). Each box that overflows gets tabindex="0"
 * (and loses it when a wider window makes it fit), so Tab reaches it and the arrow keys scroll it;
 * a box that fits adds no stop to the Tab order.
 */
(function () {
  "use strict";
  const SCROLLERS = ".gl-math, .gl-card__formula, .gl-figure, .md-typeset__scrollwrap";
  function update() {
    for (const box of document.querySelectorAll(SCROLLERS)) {
      if (box.scrollWidth > box.clientWidth) box.setAttribute("tabindex", "0");  // as axe-core counts a scroll box
      else box.removeAttribute("tabindex");
    }
  }
  if (document.readyState === "loading") document.addEventListener("DOMContentLoaded", update);
  else update();
  // widths settle later too: once the page has loaded and its fonts (a Chinese page's CJK fallback
  // font is picked after the first layout) are in
  window.addEventListener("load", update);
  if (document.fonts) document.fonts.ready.then(update);
  let pending = 0;
  window.addEventListener("resize", () => {
    cancelAnimationFrame(pending);
    pending = requestAnimationFrame(update);
  });
})();

/*
 * Search queries that glue Latin letters or digits to Chinese ("S型函数", "L1正则化", "带泄露的ReLU"),
 * the way such names are usually typed, found nothing: Material's search worker splits a query
 * at spaces and looks up each Chinese run on its own, so "S型函数" became one unknown word. A space
 * at each boundary between the scripts makes it "S 型函数", which finds the page. The reader's
 * text in the box is left as typed (so an input method is never disturbed): the space is added to
 * the query on its way to the worker.
 *
 * The seam: Material 9.8's main thread sends a query to its search worker as
 * postMessage({type: 2, data: "<query>"}) (SEARCH_QUERY in its source). mkdocs-material is pinned in
 * pyproject.toml, and tests/browser/test_search.py types every glued name, so a Material update
 * that changes the message fails those tests instead of silently losing the queries.
 */
/*
 * Second, the whole Chinese word the reader typed. The worker cuts a run of Chinese characters into
 * words of its index, but only into pieces that end before the run's last character: "训练集" is
 * looked up as "训练*" (also the start of 训练轮次, Epoch), "偏差" as "偏*" (also 偏导数). On the
 * Chinese site, whose index holds every word of the Chinese pages, such a cut often lands on a
 * common word and another page wins. So each run is sent twice: as typed (what the worker did
 * before) and followed by SENTINEL, a Han character no page contains, which lets the worker's cut
 * reach the run's last character ("训练集〇" -> "训练集*"). Both are optional terms of one query:
 * a page matching the whole word scores on both.
 *
 * Third, the query is also sent run together behind "qxz" ("rectified linear unit" adds
 * "qxzrectifiedlinearunit"), exactly ("^5": Material's worker then adds no "*") and, for several
 * Latin words, also as a prefix. A Chinese character is written as "x" and its code point in the
 * letters a-p ("P-R 曲线" adds "qxzprxggpcxholp"), so the worker takes it as one word, and no digit
 * enters the index (site_tools/search.py, page_tag, says why). Only names are indexed that way
 * (site_tools/search.py, joined): among pages sharing the words (ReLU, PReLU, leaky ReLU; MI and
 * mixup; 精确率, 召回率 and 精确率-召回率曲线), the one whose name the reader typed comes first.
 */
(function () {
  "use strict";
  const SEARCH_QUERY = 2;
  const BOUNDARY = /(?<=[A-Za-z0-9])(?=\p{Script=Han})|(?<=\p{Script=Han})(?=[A-Za-z0-9])/gu;
  const SENTINEL = "\u3007";  // 〇, Script=Han (the worker's run pattern), in no page's text
  const HAN_RUN = /(?<![+\-~^:\p{Script=Han}])\p{Script=Han}+(?![~^\p{Script=Han}])/gu;  // not in lunr syntax
  const SEPARATOR = /[\s\u200b\u3000\-、。，．？！；]+/;  // the index's separator (mkdocs.yml)
  const PHRASE_CHARS = /^[a-z0-9_\u4e00-\u9fff]+$/;  // site_tools/search.py PHRASE_CHARS
  const HAN_CHAR = /[\u4e00-\u9fff]/g;
  const PHRASE = "qxz";  // site_tools/search.py PHRASE: only this term reaches a run-together name
  const DIGIT_LETTERS = "abcdefghijklmnop";  // site_tools/search.py DIGIT_LETTERS
  const EXACT = 5;  // the weight of a name typed in full, against 1 for each word of it
  const post = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (message, ...rest) {
    if (message && message.type === SEARCH_QUERY && typeof message.data === "string") {
      let query = message.data.replace(BOUNDARY, " ").replace(HAN_RUN, run => `${run} ${run}${SENTINEL}`);
      // a lone letter ("K" of "K 折", "P-R", "top-k") stands for itself, not for every word it starts:
      // only the names' markers "<letter>_<page>" (site_tools/search.py); the worker adds no * after
      // ^1. (A hyphen before such a letter becomes a space: both separate words in the index.)
      query = query.replace(/(?<=[A-Za-z0-9])-(?=[A-Za-z](?![A-Za-z0-9]))/g, " ");
      query = query.split(/(\s+)/).map(word => /^[A-Za-z]$/.test(word) ? `${word.toLowerCase()}_*^1` : word).join("");
      const words = message.data.toLowerCase().split(SEPARATOR).filter(Boolean);
      const run = words.join("");
      if (PHRASE_CHARS.test(run)) {
        // the whole name exactly ("_" ends a marker's word), weighted above any single word; several
        // Latin words also as a prefix ("depthwise conv"), one word not ("sigmoid" would reach
        // "sigmoid ..."), Chinese not (the worker already looks up the start of a Chinese run)
        const phrase = PHRASE + run.replace(HAN_CHAR, ch => "x" + [...ch.codePointAt(0).toString(16).padStart(4, "0")]
          .map(hex => DIGIT_LETTERS[parseInt(hex, 16)]).join(""));
        const latin = phrase === PHRASE + run;
        query += ` ${phrase}_*^${EXACT}` + (latin && words.length > 1 ? ` ${phrase}` : "");
      }
      message = Object.assign({}, message, { data: query });
    }
    return post.call(this, message, ...rest);
  };
})();
