"""Full-text search over one owner's conversation titles and messages.

Two implementations of one query, chosen by the database in use:

- PostgreSQL: expression GIN indexes on ``to_tsvector('simple', ...)`` of ``message.content``
  (its first ``PG_INDEXED_CHARS`` characters) and ``conversation.title`` (migration 0008).
  The ``simple`` configuration lower-cases and keeps every word as written: no stemming, no
  stop words, no language, so ``P0420``, a 17-character VIN, ``Bremsbeläge`` or ``5W-30``
  are indexed whole and match as typed.
- SQLite: FTS5 tables (``unicode61`` tokenizer, diacritics removed) kept in step with the
  rows by triggers: ``search_message`` (external content: the index only) and
  ``search_conversation`` (title and conversation id).

What people type is never passed on as query syntax: it is cut into words at whitespace,
each word is quoted as a literal (the database's own tokenizer splits it the way it split
the indexed text) and matched as a prefix, and the words are ANDed. Quotes, ``*``, ``-``,
``OR``, parentheses and emoji are plain text. Nothing here imports Flask.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple

import sqlalchemy as sa
from sqlalchemy.orm import Session

# Limits on what is searched for: longer queries are refused (the page says so), extra
# words beyond MAX_TERMS are left out, and each word is cut at MAX_TERM_LENGTH.
MAX_QUERY_LENGTH = 500
MAX_TERMS = 12
MAX_TERM_LENGTH = 64

PG_CONFIG = "simple"
# A tsvector must stay under 1 MB; the first 100,000 characters of a message always do.
# The migration's index and the query below use the same expression.
PG_INDEXED_CHARS = 100_000
# A snippet: about this many characters of the message, starting a little before the
# first match.
SNIPPET_CHARS = 220
SNIPPET_LEAD = 60


class QueryTooLong(ValueError):
    """The search text is longer than ``MAX_QUERY_LENGTH`` characters."""


@dataclass(frozen=True)
class Hit:
    """One search result.

    A title hit has ``message_id`` and ``role`` None and ``at`` the conversation's last
    activity; a message hit has ``at`` the message's time. ``snippet`` is the matching
    text as ``(text, is_match)`` segments (plain text, to be escaped when shown).
    ``from_end`` counts the messages of the branch on screen at or after the hit (1 for
    the newest): the conversation page must show that many for the hit to be on it.
    """

    conversation_id: str
    title: str
    message_id: int | None
    role: str | None
    snippet: list[tuple[str, bool]]
    at: datetime
    from_end: int


def terms(text: str) -> list[str]:
    """Cut search text into the words searched for (lower-cased, deduplicated, in order).

    Raises QueryTooLong past ``MAX_QUERY_LENGTH`` characters. A "word" is a run without
    whitespace holding at least one letter or digit; the rest (``"``, ``-``, ``*``, emoji on
    their own) is dropped. Returns at most ``MAX_TERMS`` words of at most
    ``MAX_TERM_LENGTH`` characters; an empty list means nothing to search for.
    """
    if len(text) > MAX_QUERY_LENGTH:
        raise QueryTooLong(f"Search for at most {MAX_QUERY_LENGTH} characters.")
    found: list[str] = []
    for chunk in text.split():
        # NUL and lone surrogates reach no database (psycopg2 cannot even send them).
        chunk = chunk.replace("\x00", "").encode("utf-8", "ignore").decode("utf-8")
        chunk = chunk[:MAX_TERM_LENGTH].lower()
        if any(ch.isalnum() for ch in chunk) and chunk not in found:
            found.append(chunk)
        if len(found) == MAX_TERMS:
            break
    return found


WORD = re.compile(r"[^\W_]+")
SPACES = re.compile(r"\s+")


def fold(text: str) -> str:
    """Text compared without case or accents (``Bremsbeläge`` -> ``bremsbelage``)."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@functools.lru_cache(maxsize=8192)
def _fold_char(ch: str) -> str:
    # One character for one, so positions in the folded text are positions in the text
    # (``ß`` -> ``ss`` would shift them: such characters only lose their case).
    folded = fold(ch)
    return folded if len(folded) == 1 else ch.lower()


def _folded(text: str) -> str:
    return text.lower() if text.isascii() else "".join(map(_fold_char, text))


def snippet(text: str, words: list[str], whole: bool = False) -> list[tuple[str, bool]]:
    """The part of ``text`` around its first match, as ``(text, is_match)`` segments.

    Made here rather than by the database, the same way on both: the text is shown as
    stored (PostgreSQL's ts_headline drops what looks like markup), and a word counts as a
    match when it starts with one of the searched words' letter-and-digit runs, compared
    without case or accents. ``whole`` keeps all of ``text`` (a title). Segments are plain
    text; "…" marks a cut.
    """
    needles = tuple(_folded(part) for word in words for part in WORD.findall(word))
    folded = _folded(text)
    spans = [
        (m.start(), m.end())
        for m in WORD.finditer(text)
        if any(folded.startswith(needle, m.start()) for needle in needles)
    ]
    begin, end = 0, len(text)
    if not whole and len(text) > SNIPPET_CHARS:
        first = spans[0][0] if spans else 0
        begin = max(0, first - SNIPPET_LEAD)
        if begin:
            # Start on a word boundary, after a space within the lead.
            space = text.find(" ", begin, first)
            begin = space + 1 if space != -1 else begin
        end = min(len(text), begin + SNIPPET_CHARS)
        if end < len(text):
            space = text.rfind(" ", begin + SNIPPET_CHARS // 2, end)
            end = space if space != -1 else end
    parts: list[tuple[str, bool]] = [("…", False)] if begin else []
    at = begin
    for start, stop in spans:
        if stop <= begin or start >= end:
            continue
        start, stop = max(start, begin), min(stop, end)
        if start > at:
            parts.append((text[at:start], False))
        parts.append((text[start:stop], True))
        at = stop
    if at < end:
        parts.append((text[at:end], False))
    if end < len(text):
        parts.append(("…", False))
    # One line: a snippet's newlines and tabs are spaces.
    return [(SPACES.sub(" ", piece), match) for piece, match in parts]


def find(session: Session, owner_id: str, words: list[str], limit: int, offset: int) -> list[Hit]:
    """Return up to ``limit`` hits for an owner, newest first, skipping ``offset``.

    Every word must match (as a word prefix) the title or the message. Only the owner's
    conversations that are not deleted, and only messages of the branch on screen, are
    searched; the owner is a condition of the query itself. ``words`` come from
    ``terms()``; an empty list finds nothing without asking the database.
    """
    if not words or limit <= 0:
        return []
    # Each side (titles, messages) needs at most offset + limit rows for this page.
    params = {"owner": owner_id, "window": offset + limit, "limit": limit, "offset": offset}
    if session.get_bind().dialect.name == "postgresql":
        return _find_postgresql(session, params, words)
    return _find_sqlite(session, params, words)


def _timestamp(value: Any) -> datetime:
    """A row's time as aware UTC (SQLite's raw rows hold text, PostgreSQL's aware times)."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


# ---------------------------------------------------------------- PostgreSQL


def pg_tsquery(words: list[str]) -> str:
    """The tsquery text for the words: each a quoted literal, every lexeme a prefix, ANDed.

    Inside quotes nothing is an operator; PostgreSQL's parser splits a word such as
    ``5W-30`` into the same lexemes it indexed (``'5w':* <-> '-30':*``).
    """
    quoted = ("'" + word.replace("\\", "\\\\").replace("'", "''") + "':*" for word in words)
    return " & ".join(quoted)


PG_MESSAGE_VECTOR = f"to_tsvector('{PG_CONFIG}', left(m.content, {PG_INDEXED_CHARS}))"
PG_TITLE_VECTOR = f"to_tsvector('{PG_CONFIG}', c.title)"

# Only this module's constants are put into the text; everything typed is a bound parameter.
_PG_SEARCH = sa.text(
    f"""
    WITH q AS (SELECT to_tsquery('{PG_CONFIG}', :tsquery) AS query),
    hits AS (
        (SELECT c.id AS conversation_id, NULL::bigint AS message_id, c.updated_at AS at
         FROM conversation c, q
         WHERE c.owner_id = :owner AND c.deleted_at IS NULL AND {PG_TITLE_VECTOR} @@ q.query
         ORDER BY c.updated_at DESC
         LIMIT :window)
        UNION ALL
        (SELECT m.conversation_id, m.id, m.created_at
         FROM message m JOIN conversation c ON c.id = m.conversation_id, q
         WHERE c.owner_id = :owner AND c.deleted_at IS NULL AND m.on_path
           AND {PG_MESSAGE_VECTOR} @@ q.query
         ORDER BY m.id DESC
         LIMIT :window)
    ),
    page AS (
        SELECT * FROM hits ORDER BY at DESC, message_id DESC NULLS FIRST
        LIMIT :limit OFFSET :offset
    )
    SELECT p.conversation_id, c.title, p.message_id, m.role, p.at,
        left(m.content, {PG_INDEXED_CHARS}) AS content,
        CASE WHEN p.message_id IS NULL THEN 0 ELSE (
            SELECT count(*) FROM message later
            WHERE later.conversation_id = p.conversation_id AND later.on_path
              AND later.id >= p.message_id)
        END AS from_end
    FROM page p
    JOIN conversation c ON c.id = p.conversation_id
    LEFT JOIN message m ON m.id = p.message_id
    ORDER BY p.at DESC, p.message_id DESC NULLS FIRST
    """  # noqa: S608  # nosec B608
)


def _find_postgresql(session: Session, params: dict[str, Any], words: list[str]) -> list[Hit]:
    rows = session.execute(_PG_SEARCH, {**params, "tsquery": pg_tsquery(words)}).all()
    return [_hit(row, words) for row in rows]


def _hit(row: Any, words: list[str]) -> Hit:
    """A hit from a row of (conversation_id, title, message_id, role, at, content, from_end)."""
    title_hit = row.message_id is None
    return Hit(
        conversation_id=row.conversation_id,
        title=row.title,
        message_id=row.message_id,
        role=row.role,
        snippet=snippet(row.title, words, whole=True) if title_hit else snippet(row.content, words),
        at=_timestamp(row.at),
        from_end=row.from_end,
    )


# ---------------------------------------------------------------- SQLite


def fts5_query(words: list[str]) -> str:
    """The FTS5 query for the words: each a quoted string (a phrase of its tokens) as a prefix.

    Inside double quotes FTS5 sees no syntax (``"`` is doubled), so ``OR``, ``-``, ``*``,
    ``:`` or parentheses are text.
    """
    return " ".join('"' + word.replace('"', '""') + '"*' for word in words)


_SQLITE_PAGE = sa.text(
    """
    SELECT * FROM (
        SELECT * FROM (
            SELECT c.id AS conversation_id, NULL AS message_id, c.updated_at AS at
            FROM search_conversation s JOIN conversation c ON c.id = s.conversation_id
            WHERE search_conversation MATCH :title_query
              AND c.owner_id = :owner AND c.deleted_at IS NULL
            ORDER BY c.updated_at DESC
            LIMIT :window)
        UNION ALL
        SELECT * FROM (
            SELECT m.conversation_id, m.id, m.created_at
            FROM search_message s
            JOIN message m ON m.id = s.rowid
            JOIN conversation c ON c.id = m.conversation_id
            WHERE search_message MATCH :query
              AND c.owner_id = :owner AND c.deleted_at IS NULL AND m.on_path
            ORDER BY s.rowid DESC
            LIMIT :window)
    )
    ORDER BY at DESC, message_id IS NOT NULL, message_id DESC
    LIMIT :limit OFFSET :offset
    """
)
# The page's rows only, in one query.
_SQLITE_DETAILS = sa.text(
    """
    SELECT m.id, m.role, m.content,
        (SELECT count(*) FROM message later
         WHERE later.conversation_id = m.conversation_id AND later.on_path
           AND later.id >= m.id) AS from_end
    FROM message m
    WHERE m.id IN :ids
    """
).bindparams(sa.bindparam("ids", expanding=True))
_SQLITE_TITLES = sa.text("SELECT id, title FROM conversation WHERE id IN :ids").bindparams(
    sa.bindparam("ids", expanding=True)
)


class _Row(NamedTuple):
    conversation_id: str
    title: str
    message_id: int | None
    role: str | None
    at: Any
    content: str
    from_end: int


def _find_sqlite(session: Session, params: dict[str, Any], words: list[str]) -> list[Hit]:
    query = fts5_query(words)
    # Titles: only the title column (the conversation id is indexed too, for the triggers).
    page = session.execute(
        _SQLITE_PAGE, {**params, "query": query, "title_query": f"title : ({query})"}
    ).all()
    if not page:
        return []
    message_ids = [row.message_id for row in page if row.message_id is not None]
    details = {}
    if message_ids:
        details = {row.id: row for row in session.execute(_SQLITE_DETAILS, {"ids": message_ids})}
    titles = dict(
        session.execute(_SQLITE_TITLES, {"ids": [row.conversation_id for row in page]}).all()
    )
    hits = []
    for row in page:
        detail = details.get(row.message_id)
        found = _Row(
            conversation_id=row.conversation_id,
            title=titles[row.conversation_id],
            message_id=row.message_id,
            role=detail.role if detail else None,
            at=row.at,
            content=detail.content if detail else "",
            from_end=detail.from_end if detail else 0,
        )
        hits.append(_hit(found, words))
    return hits
