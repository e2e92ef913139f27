"""Search the visitor's conversations: ``GET /search?q=...&page=N`` (page or JSON)."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, render_template, request, url_for

import search
import session_store
from models import Message, as_utc
from security import rate_limited, search_limits
from views import PAGE_MESSAGES, error_body, wants_json

bp = Blueprint("search", __name__)

PAGE_SIZE = 20
# Paging stops here (a bounded OFFSET); a narrower query finds the rest.
MAX_PAGE = 25


def hit_url(hit: search.Hit) -> str:
    """Where a hit opens: its message on the conversation page, or the conversation.

    The page shows the newest ``PAGE_MESSAGES`` messages; an older hit asks for enough of
    them (``?show=N``) that the anchor lands on it without JavaScript.
    """
    if hit.message_id is None:
        return url_for("chat.conversation", conversation_id=hit.conversation_id, _anchor="end")
    show = hit.from_end if hit.from_end > PAGE_MESSAGES else None
    return url_for(
        "chat.conversation",
        conversation_id=hit.conversation_id,
        show=show,
        _anchor=f"m{hit.message_id}",
    )


# Unicode's explicit direction controls (UAX #9): embeddings and overrides end with PDF,
# isolates with PDI.
_EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")  # LRE RLE LRO RLO
_ISOLATES = frozenset("\u2066\u2067\u2068")  # LRI RLI FSI
PDF, PDI = "\u202c", "\u2069"


def contained(text: str) -> str:
    """The text with every direction control it opens closed at its end, and closers
    that close nothing of its own dropped: a right-to-left override in one piece of a
    snippet (or a title) reverses that piece only, never the highlighted word after it,
    the next result or the page around it. The page also isolates each title and snippet
    (``<bdi>``), so the stored text is never changed, only what is shown."""
    out: list[str] = []
    stack: list[str] = []
    for char in text:
        if char in _EMBEDDINGS:
            stack.append(PDF)
        elif char in _ISOLATES:
            stack.append(PDI)
        elif char == PDF:
            if not stack or stack[-1] != PDF:
                continue  # closes nothing here (or would cross an isolate)
            stack.pop()
        elif char == PDI:
            if PDI not in stack:
                continue
            while stack.pop() != PDI:  # a PDI also ends the embeddings opened inside it
                pass
        out.append(char)
    return "".join(out) + "".join(reversed(stack))


def hit_json(hit: search.Hit) -> dict[str, Any]:
    """One hit as the JSON API answers it."""
    return {
        "conversation_id": hit.conversation_id,
        "title": hit.title,
        "message_id": hit.message_id,
        "role": hit.role,
        "snippet": [{"text": text, "match": match} for text, match in hit.snippet],
        "created_at": as_utc(hit.at).isoformat(),
        "url": hit_url(hit),
    }


def _page_number() -> int:
    page = request.args.get("page", type=int) or 1
    return max(1, min(page, MAX_PAGE))


@bp.get("/search")
@rate_limited(*search_limits())
def index():
    """Search page (or JSON ``{"query", "page", "results", "next"}``).

    Empty ``q``: the page with a prompt, no query run. Over ``search.MAX_QUERY_LENGTH``
    characters: 400 (``query_too_long``), the text kept in the box.
    """
    query = request.args.get("q", "")
    page = _page_number()
    hits: list[search.Hit] = []
    more = False
    error = None
    status = 200
    if query.strip():
        try:
            found = Message.search(
                session_store.owner_id(),
                query,
                limit=PAGE_SIZE + 1,
                offset=(page - 1) * PAGE_SIZE,
            )
        except search.QueryTooLong as too_long:
            error, status = str(too_long), 400
        else:
            hits, more = found[:PAGE_SIZE], len(found) > PAGE_SIZE and page < MAX_PAGE
    next_url = url_for("search.index", q=query, page=page + 1) if more else None
    if wants_json():
        if error:
            return jsonify(error_body("query_too_long", error)), status
        return jsonify(
            {
                "query": query,
                "page": page,
                "results": [hit_json(hit) for hit in hits],
                "next": next_url,
            }
        )
    return render_template(
        "search/index.html",
        query=query,
        searched=bool(query.strip()) and error is None,
        words=search.terms(query) if error is None else [],
        hits=hits,
        page=page,
        next_url=next_url,
        previous_url=url_for("search.index", q=query, page=page - 1) if page > 1 else None,
        error=error,
        hit_url=hit_url,
        contained=contained,
        max_length=search.MAX_QUERY_LENGTH,
    ), status
