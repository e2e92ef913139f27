"""Render untrusted Markdown (model replies) to sanitized HTML, code highlighted by Pygments.

Raw HTML stays off: the only markup a reply can get is what the Markdown rules here emit,
and nh3 then keeps exactly that (the tags, attributes and classes listed below).
"""

from __future__ import annotations

import hashlib
import json
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from functools import lru_cache
from importlib import metadata
from pathlib import Path
from typing import Any

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml, unescapeAll
from markdown_it.rules_core import StateCore
from markdown_it.token import Token
from markupsafe import Markup
from pygments import highlight
from pygments.formatters import HtmlFormatter
from pygments.lexer import Lexer
from pygments.lexers import get_lexer_by_name
from pygments.styles import get_style_by_name
from pygments.token import STANDARD_TYPES
from pygments.util import ClassNotFound

_md = MarkdownIt("commonmark", {"html": False, "linkify": True, "typographer": False}).enable(
    ["table", "strikethrough", "linkify"]
)
# Bare URLs with a scheme (and e-mail addresses) become links; "file.py" stays text.
_md.linkify.set({"fuzzy_link": False})


def _image_as_text(renderer, tokens, idx, options, env):
    # A remote image would make the browser call any server, and a link built from
    # image syntax could carry data out in its address: show both as plain text.
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    return escapeHtml(f"[image: {alt or 'no description'} — {token.attrGet('src') or ''}]")


# ---------------------------------------------------------------- code blocks

# Token classes come from the stylesheet static/css/highlight.css (no inline styles: the
# page's CSP allows none). The sanitizer keeps exactly these class names on <span>.
_FORMATTER = HtmlFormatter(nowrap=True)
TOKEN_CLASSES = frozenset(name for name in STANDARD_TYPES.values() if name)
MAX_LANGUAGE = 40


@lru_cache(maxsize=256)
def _lexer(language: str) -> Lexer | None:
    try:
        return get_lexer_by_name(language, stripnl=False, ensurenl=False)
    except ClassNotFound:
        return None


def _code_block(code: str, language: str) -> str:
    """A <pre> with Pygments' token spans when the language is known, plain text otherwise."""
    lexer = _lexer(language.lower()[:MAX_LANGUAGE]) if language else None
    body = highlight(code, lexer, _FORMATTER) if lexer else escapeHtml(code)
    # tabindex: a block wider than the screen scrolls, and a keyboard must reach it.
    label = f' data-lang="{escapeHtml(lexer.name)}"' if lexer else ""
    return f'<pre class="code" tabindex="0"{label}><code>{body}</code></pre>\n'


def _fence(renderer, tokens, idx, options, env):
    token = tokens[idx]
    info = unescapeAll(token.info).strip()
    return _code_block(token.content, info.split(maxsplit=1)[0] if info else "")


def _indented_code(renderer, tokens, idx, options, env):
    return _code_block(tokens[idx].content, "")


# ---------------------------------------------------------------- tables


def _table_open(renderer, tokens, idx, options, env):
    # A wide table scrolls inside its own box instead of widening the page.
    return '<div class="table-wrap" tabindex="0"><table>\n'


def _table_close(renderer, tokens, idx, options, env):
    return "</table></div>\n"


_BR = re.compile(r"<br\s*/?>", re.IGNORECASE)


def _breaks_in_table_cells(state: StateCore) -> None:
    """Honour <br> inside a table cell (the one raw tag allowed: a cell has no other line break)."""
    in_cell = False
    for token in state.tokens:
        if token.type in ("td_open", "th_open"):
            in_cell = True
        elif token.type in ("td_close", "th_close"):
            in_cell = False
        elif in_cell and token.type == "inline" and token.children:
            children: list[Token] = []
            for child in token.children:
                if child.type != "text" or not _BR.search(child.content):
                    children.append(child)
                    continue
                for n, piece in enumerate(_BR.split(child.content)):
                    if n:
                        children.append(Token("hardbreak", "br", 0))
                    if piece:
                        text = Token("text", "", 0)
                        text.content = piece
                        children.append(text)
            token.children = children


# ---------------------------------------------------------------- notes

# GitHub's alert syntax, "> [!WARNING]", optionally with a title after the marker.
NOTE_KINDS = {
    "note": "Note",
    "tip": "Tip",
    "important": "Important",
    "warning": "Warning",
    "caution": "Caution",
}
_NOTE_MARKER = re.compile(r"^\[!(" + "|".join(NOTE_KINDS) + r")\][ \t]*(.*)$", re.IGNORECASE)


def _notes(state: StateCore) -> None:
    """Mark every blockquote as a note; "> [!KIND] title" picks its kind and title."""
    tokens = state.tokens
    for n, token in enumerate(tokens):
        if token.type != "blockquote_open":
            continue
        token.attrSet("class", "note")
        if n + 2 >= len(tokens) or tokens[n + 1].type != "paragraph_open":
            continue
        inline = tokens[n + 2]
        first = inline.children[0] if inline.children else None
        match = _NOTE_MARKER.match(first.content) if first and first.type == "text" else None
        if not match:
            continue
        kind = match.group(1).lower()
        token.attrSet("class", f"note note-{kind}")
        title = Token("text", "", 0)
        title.content = match.group(2).strip() or NOTE_KINDS[kind]
        rest = inline.children[1:]
        if rest and rest[0].type == "softbreak":
            rest = [Token("hardbreak", "br", 0), *rest[1:]]
        inline.children = [
            Token("strong_open", "strong", 1),
            title,
            Token("strong_close", "strong", -1),
            *rest,
        ]


_md.add_render_rule("image", _image_as_text)
_md.add_render_rule("fence", _fence)
_md.add_render_rule("code_block", _indented_code)
_md.add_render_rule("table_open", _table_open)
_md.add_render_rule("table_close", _table_close)
_md.core.ruler.push("table_cell_breaks", _breaks_in_table_cells)
_md.core.ruler.push("notes", _notes)

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "div", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "li", "ol", "p", "pre", "s", "span", "strong", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
    "pre": {"data-lang"},
}
# Attributes allowed with one value only (nh3 drops any other value).
ALLOWED_VALUES = {
    "pre": {"tabindex": {"0"}},
    "div": {"tabindex": {"0"}},
}
# The only classes a reply can carry: the ones the rules above emit.
ALLOWED_CLASSES = {
    "span": set(TOKEN_CLASSES),
    "pre": {"code"},
    "div": {"table-wrap"},
    "blockquote": {"note", *(f"note-{kind}" for kind in NOTE_KINDS)},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """Turn Markdown into HTML that is safe to place in a page."""
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        tag_attribute_values=ALLOWED_VALUES,
        allowed_classes=ALLOWED_CLASSES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # nh3 output is the one source trusted as HTML.
    return Markup(clean)  # noqa: S704  # nosec B704


# ---------------------------------------------------------------- stored HTML

# A reply's HTML is kept in its row (message.content_html) so a page view does not
# render it again. The renderer's version is derived, not typed: a digest of this file
# and of the libraries that shape the output, so no change to the rules, the allow-lists
# or a library upgrade can leave old HTML on the page because a number was not bumped.
# An edit elsewhere in this file (a filter below) re-renders each reply once, on its
# next view; that is the price of not having to remember.
_OUTPUT_LIBRARIES = ("markdown-it-py", "linkify-it-py", "mdurl", "nh3", "Pygments")


def _renderer_version() -> int:
    digest = hashlib.blake2b(Path(__file__).read_bytes(), digest_size=4)
    for name in _OUTPUT_LIBRARIES:
        try:
            digest.update(f"{name}={metadata.version(name)};".encode())
        except metadata.PackageNotFoundError:
            digest.update(f"{name}=;".encode())
    return int.from_bytes(digest.digest()) & 0x7FFFFFFF


RENDERER_VERSION = _renderer_version()


def html_version(content: str | None, reasoning: str | None = None) -> int:
    """The ``message.html_version`` stored HTML must carry to be shown: a 31-bit digest of
    ``RENDERER_VERSION`` and the texts it was rendered from.

    The texts are part of it so that HTML cannot outlive a change of the text, whichever
    code path writes the row (a reply saved in pieces, an import, a migration).
    """
    digest = hashlib.blake2b(RENDERER_VERSION.to_bytes(4), digest_size=4)
    digest.update((content or "").encode("utf-8", "surrogatepass"))
    digest.update(
        b"\x00" if reasoning is None else b"\x01" + reasoning.encode("utf-8", "surrogatepass")
    )
    return int.from_bytes(digest.digest()) & 0x7FFFFFFF


def stored_html(html: str) -> Markup:
    """Mark HTML read back from ``message.content_html`` / ``reasoning_html`` as safe.

    Only ``render_markdown``'s output is ever written there (``Message.render_html``), so
    this is still nh3's output; sanitizing it again would cost what storing it saves.
    """
    return Markup(html)  # noqa: S704  # nosec B704


class StreamPreview:
    """Markdown of a reply that is still arriving, rendered at a bounded rate.

    ``add(piece)`` appends text and returns the sanitized HTML of everything so far when a
    render is due, else None. Each render is the whole text through ``render_markdown``
    (the renderer and sanitizer of stored messages; there is no second Markdown engine),
    so its cost grows with the reply: a render is due once ``min_interval`` seconds
    (default 0.25 s) and ``cost_factor`` times the previous render's duration have passed,
    which keeps rendering under about 1 / ``cost_factor`` of the stream's time however
    long the reply gets. ``clock`` returns seconds (``time.monotonic``).
    """

    def __init__(
        self,
        *,
        min_interval: float = 0.25,
        cost_factor: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.text = ""
        self._min_interval = min_interval
        self._cost_factor = cost_factor
        self._clock = clock
        self._last = float("-inf")
        self._wait = 0.0

    def add(self, piece: str) -> Markup | None:
        """Append a piece of the reply; return the HTML of the text so far if a render is due."""
        self.text += piece
        now = self._clock()
        if now - self._last < self._wait:
            return None
        html = render_markdown(self.text)
        finished = self._clock()
        self._last = finished
        self._wait = max(self._min_interval, (finished - now) * self._cost_factor)
        return html


# ---------------------------------------------------------------- the code stylesheet

# Pygments styles for the two themes, each against the code background app.css gives it.
# Colours too faint on that background are darkened (or lightened) until they reach the
# WCAG AA ratio for normal text, so every token passes in both themes.
CODE_THEMES = {
    "light": ("default", "#f3f4f6"),
    "dark": ("github-dark", "#0d1117"),
}
AA_RATIO = 4.5
HIGHLIGHT_CSS = "static/css/highlight.css"


def _rgb(color: str) -> tuple[float, float, float]:
    color = color.lstrip("#")
    if len(color) == 3:
        color = "".join(c * 2 for c in color)
    return tuple(int(color[i : i + 2], 16) / 255 for i in (0, 2, 4))  # type: ignore[return-value]


def _luminance(color: str) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in _rgb(color))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str) -> float:
    """The WCAG contrast ratio of two #rrggbb colours (1 to 21)."""
    lighter, darker = sorted((_luminance(foreground), _luminance(background)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def readable(color: str, background: str, ratio: float = AA_RATIO) -> str:
    """Move a colour toward black or white until it reaches the ratio on the background."""
    target = 0.0 if _luminance(background) > 0.18 else 1.0
    rgb = _rgb(color)
    step = 0
    while contrast(_hex(rgb), background) < ratio and step < 40:
        step += 1
        rgb = tuple(c + (target - c) * 0.05 for c in rgb)  # type: ignore[assignment]
    return _hex(rgb)


def _hex(rgb) -> str:
    return "#" + "".join(f"{round(c * 255):02x}" for c in rgb)


def _theme_rules(style_name: str, background: str, scope: str) -> list[str]:
    """One rule per token class; every class sets all three, so no theme leaks into the other."""
    style = get_style_by_name(style_name)
    rules = []
    for token, cls in sorted(STANDARD_TYPES.items(), key=lambda item: item[1]):
        if not cls:
            continue
        spec = style.style_for_token(token)
        color = readable("#" + spec["color"], background) if spec["color"] else "inherit"
        weight = "bold" if spec["bold"] else "normal"
        slant = "italic" if spec["italic"] else "normal"
        rules.append(
            f"{scope} .{cls} {{ color: {color}; font-weight: {weight}; font-style: {slant} }}"
        )
    return rules


def highlight_css() -> str:
    """The stylesheet for highlighted code, light and dark (static/css/highlight.css)."""
    light_style, light_bg = CODE_THEMES["light"]
    dark_style, dark_bg = CODE_THEMES["dark"]
    dark_explicit = ":root[data-theme='dark'] pre.code"
    dark_system = ":root:not([data-theme='light']) pre.code"
    lines = [
        "/* Generated by rendering.highlight_css() from Pygments styles "
        f"({light_style} / {dark_style}), colours raised to WCAG AA. */",
        "/* Regenerate: make highlight-css. Do not edit by hand. */",
        *_theme_rules(light_style, light_bg, "pre.code"),
        *_theme_rules(dark_style, dark_bg, dark_explicit),
        "@media (prefers-color-scheme: dark) {",
        *("  " + rule for rule in _theme_rules(dark_style, dark_bg, dark_system)),
        "}",
    ]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- small filters


def per_million(price_per_token: float | None) -> str:
    """Show a per-token price as dollars per million tokens."""
    if price_per_token is None:
        return "–"
    if price_per_token == 0:
        return "free"
    return f"${price_per_token * 1_000_000:,.2f}"


def model_facts(info: Any) -> str:
    """What a model holds and costs, in the words every view of it shares.

    ``info`` is a ``ModelInfo`` (or None): "164k context · free", "128k context · $0.15 /
    $0.60 per M tokens"; "" when nothing is known.
    """
    if info is None:
        return ""
    parts = []
    if info.context_length:
        parts.append(f"{context_label(info.context_length)} context")
    if info.is_free:
        parts.append("free")
    elif info.prompt_price is not None and info.completion_price is not None:
        prompt, completion = per_million(info.prompt_price), per_million(info.completion_price)
        parts.append(f"{prompt} / {completion} per M tokens")
    return " · ".join(parts)


def context_label(tokens: int | None) -> str:
    """Show a context window the short way a model menu reads it: "128k", "1.05M"."""
    if not tokens:
        return "–"
    if tokens >= 1_000_000:
        return f"{tokens / 1_000_000:.3g}M"
    if tokens >= 1000:
        return f"{(tokens + 500) // 1000}k"  # half up
    return str(tokens)


def format_timestamp(epoch: float | None) -> str:
    """Show a Unix time as a UTC date and time."""
    if not epoch:
        return "never"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def pretty_json(value: object) -> str:
    """Indent data for reading; a plain str, so the template still escapes it."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)


if __name__ == "__main__":
    from pathlib import Path

    Path(__file__).with_name("static").joinpath("css", "highlight.css").write_text(highlight_css())
