"""site_tools.lean.squeeze: whitespace runs with a newline become one newline, except where
whitespace is content (pre, textarea, script, style)."""

from __future__ import annotations

import re

from site_tools.lean import squeeze


def test_indentation_between_tags_is_cut_to_one_newline() -> None:
    html = '<nav>\n      <ul>\n        <li>\n          <a href="x">A</a>\n        </li>\n      </ul>\n    </nav>'
    assert squeeze(html) == '<nav>\n<ul>\n<li>\n<a href="x">A</a>\n</li>\n</ul>\n</nav>'


def test_whitespace_that_is_content_is_kept_byte_for_byte() -> None:
    pre = '<pre><code>def f(x):\n    return x\n\n\n    # indented\n</code></pre>'
    script = '<script>\n  var a = "two\n   lines";\n</script>'
    area = "<TEXTAREA>\n  a\n</TEXTAREA >"
    html = f"<div>\n   {pre}\n   {script}\n {area}\n  <style>\n  p {{ }}\n</style></div>"
    assert squeeze(html) == f"<div>\n{pre}\n{script}\n{area}\n<style>\n  p {{ }}\n</style></div>"


def test_runs_without_a_newline_and_text_are_left_alone() -> None:
    html = "<p>a  b\t c</p> <span>x</span>"
    assert squeeze(html) == html
    assert squeeze("one \n\n two") == "one\ntwo"


def test_highlighted_code_keeps_its_text_and_colours_in_fewer_spans() -> None:
    pre = ('<pre><span></span><code><span class="k">def</span><span class="w"> </span><span class="nf">f</span>'
           '<span class="p">():</span>\n<span class="w">    </span><span class="sd">"""One.</span>\n\n'
           '<span class="sd">    Two.</span>\n<span class="sd">    """</span>\n</code></pre>')
    lean = squeeze(pre)
    assert lean == ('<pre><span></span><code><span class="k">def</span> <span class="nf">f</span>'
                    '<span class="p">():</span>\n    <span class="sd">"""One.\n\n    Two.\n    """</span>\n</code></pre>')
    assert re.sub(r"<[^>]+>", "", lean) == re.sub(r"<[^>]+>", "", pre)  # the same text
    # outside <pre> neighbouring spans stay as they are
    assert squeeze('<p><span class="k">a</span> <span class="k">b</span></p>') == '<p><span class="k">a</span> <span class="k">b</span></p>'
