"""site_tools.lean.squeeze: whitespace runs with a newline become one newline, except where
whitespace is content (pre, textarea, script, style)."""

from __future__ import annotations

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
