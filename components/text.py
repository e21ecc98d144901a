"""Text from data or configuration (organisation, user, plan and service names, provider values)
on its way into something that interprets markup. Names are chosen by resellers, customers and
providers: `<a href=…>` or `[Verify](https://…)` in a name must show as those characters, never
become a link, bold text, an icon or a formula on someone else's screen (issue #9, item 5).

- `md_escape`: for every Streamlit text that renders Markdown (st.markdown, st.caption, st.title,
  st.subheader, st.info/error, widget and metric labels, badges).
- `md_code`: a value shown as inline code (a path, a file name).
- `html_escape`: for Plotly labels, which read a subset of HTML (`<a href>`, `<b>`, `<br>`); Plotly
  turns the entities back into the characters it draws.
"""
from __future__ import annotations

import html
import re

# Every ASCII punctuation character may be backslash-escaped in CommonMark, and escaping them all
# also disarms Streamlit's own syntax: `:red[…]` and `:material/…:` directives, `$…$` formulas.
_MD_PUNCTUATION = re.compile(r"([!\"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])")
_LINE_BREAKS = re.compile(r"[\r\n\u2028\u2029]+")
# GFM's autolinks work on the text after escapes are read (`https\://x` still became a link in
# Streamlit 1.67): an invisible WORD JOINER inside `://`, after `www` and after `@` keeps the
# characters on screen and stops `https://…`, `www.…` and `name@host` from becoming links.
_WORD_JOINER = "\u2060"
_WWW = re.compile(r"(www)(\.)", re.IGNORECASE)


def _no_autolink(text: str) -> str:
    text = text.replace("://", ":" + _WORD_JOINER + "//").replace("@", "@" + _WORD_JOINER)
    return _WWW.sub(r"\1" + _WORD_JOINER + r"\2", text)


def md_escape(value: object) -> str:
    """`value` as Markdown that shows exactly its characters (and links nowhere), on one line."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    return _MD_PUNCTUATION.sub(r"\\\1", _no_autolink(text))


def md_code(value: object) -> str:
    """`value` as one inline code span: a fence longer than any run of backticks inside."""
    text = _LINE_BREAKS.sub(" ", "" if value is None else str(value))
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if text.startswith("`") or text.endswith("`") else ""
    return f"{fence}{pad}{text}{pad}{fence}"


def html_escape(value: object) -> str:
    """`value` as text for a Plotly label or hover: `<`, `>` and `&` become entities."""
    return html.escape("" if value is None else str(value), quote=False)
