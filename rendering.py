"""Render untrusted Markdown (model replies) to sanitized HTML."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import nh3
from markdown_it import MarkdownIt
from markdown_it.common.utils import escapeHtml
from markupsafe import Markup

_md = (
    MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})
    .enable("table")
    .enable("strikethrough")
)


def _image_as_text(renderer, tokens, idx, options, env):
    # A remote image would make the browser call any server, and a link built from
    # image syntax could carry data out in its address: show both as plain text.
    token = tokens[idx]
    alt = "".join(child.content for child in token.children or [])
    return escapeHtml(f"[image: {alt or 'no description'} — {token.attrGet('src') or ''}]")


_md.add_render_rule("image", _image_as_text)

ALLOWED_TAGS = {
    "a", "blockquote", "br", "code", "del", "em", "h1", "h2", "h3", "h4", "h5",
    "h6", "hr", "li", "ol", "p", "pre", "s", "strong", "table", "tbody", "td",
    "th", "thead", "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "ol": {"start"},
    "th": {"align"},
    "td": {"align"},
}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> Markup:
    """Turn Markdown into HTML that is safe to place in a page."""
    html = _md.render(text or "")
    clean = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )
    # nh3 output is the one source trusted as HTML.
    return Markup(clean)  # noqa: S704  # nosec B704


def per_million(price_per_token: float | None) -> str:
    """Show a per-token price as dollars per million tokens."""
    if price_per_token is None:
        return "–"
    if price_per_token == 0:
        return "free"
    return f"${price_per_token * 1_000_000:,.2f}"


def format_timestamp(epoch: float | None) -> str:
    """Show a Unix time as a UTC date and time."""
    if not epoch:
        return "never"
    return datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M UTC")


def pretty_json(value: object) -> str:
    """Indent data for reading; a plain str, so the template still escapes it."""
    return json.dumps(value, ensure_ascii=False, indent=2, default=str)
