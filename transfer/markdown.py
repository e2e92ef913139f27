"""A conversation as a Markdown file to read or print: the branch on screen, not the rest.

Shape::

    # <title>                      (names, file names, fact cards: Markdown and HTML
                                   specials escaped; message texts are their own Markdown)

    - Exported: 2025-05-01 10:00 UTC (Automotive Chat Assistant)
    - Started: ... · last active: ...
    - Model: <models that answered>
    - Messages: 12, the branch shown on screen (3 other versions left out: the JSON
      export keeps every branch)
    - Usage: 1,234 tokens · $0.0012

    ---

    ## You · 2025-05-01 09:30 UTC
    <text>
    [Picture: tire.jpg, 1200×900]     (named, never inlined: the JSON export holds them)
    **Fact cards**
    - **<title>**: line; line

    ## Assistant · 2025-05-01 09:30 UTC · <model>
    <text>
    > **Thinking:** ... / *Tools used: ...* / a failure's sentence / usage
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from chat import failures
from states import MessageStatus, Role

# Markdown's inline specials, and HTML's: backslash-escaped (CommonMark lets any ASCII
# punctuation be), "&" as an entity so "&lt;" in a title stays those four characters.
# Parentheses stay: with "[" and "]" escaped, no "(...)" can become a link's target.
# An underscore inside a word ("decode_vin") cannot start emphasis, so it stays as is.
_SPECIALS = re.compile(r"([\\`*\[\]<>#!|~]|(?<![^\W_])_|_(?![^\W_]))")


def _text(value: Any) -> str:
    """User- or model-supplied text for a structural place (heading, list item, label):
    one line, every Markdown and HTML special escaped, so "[a](javascript:...)", "![x](...)"
    or "<a href=...>" in a title read as those characters, never as a link, image or tag."""
    line = " ".join(str(value).split())
    line = "".join(ch for ch in line if unicodedata.category(ch) not in ("Cc", "Cf"))
    return _SPECIALS.sub(r"\\\1", line.replace("&", "&amp;"))


def _code(value: Any) -> str:
    """A name (a model's, a tool's) as a code span: never a link or markup. The fence is one
    backtick longer than any run of them inside, as CommonMark requires."""
    line = " ".join(str(value).split())
    longest = max((len(run) for run in re.findall(r"`+", line)), default=0)
    fence = "`" * (longest + 1)
    pad = " " if line.startswith("`") or line.endswith("`") else ""
    return f"{fence}{pad}{line}{pad}{fence}"


def _when(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.strftime("%Y-%m-%d %H:%M UTC")


def _quoted(text: str) -> str:
    return "\n".join(f"> {line}".rstrip() for line in text.splitlines())


def _facts(facts: list[dict[str, Any]]) -> list[str]:
    lines = ["**Fact cards**", ""]
    for fact in facts:
        title = _text(fact.get("title") or fact.get("key") or "Fact")
        body = "; ".join(_text(line) for line in fact.get("lines") or ())
        entry = f"- **{title}**"
        if fact.get("warning"):
            entry += f" (Stop: {_text(fact['warning'])})"
        lines.append(f"{entry}: {body}" if body else entry)
    return [*lines, ""]


def _pictures(message: Any) -> list[str]:
    """One line per picture sent with the message: its name and size, no data."""
    shown = sorted(
        getattr(message, "attachments", None) or (), key=lambda p: getattr(p, "position", 0)
    )
    # A paragraph each, so a Markdown reader does not run them into one line.
    return [
        line
        for p in shown
        for line in (f"[Picture: {_text(p.filename)}, {p.width}×{p.height}]", "")
    ]


def _usage(message: Any) -> str | None:
    parts = []
    if message.prompt_tokens or message.completion_tokens:
        parts.append(
            f"{message.prompt_tokens or 0:,} prompt + {message.completion_tokens or 0:,} "
            "completion tokens"
        )
    if message.cost:
        parts.append(f"${message.cost:.6f}".rstrip("0").rstrip("."))
    return " · ".join(parts) or None


def _notice(message: Any) -> str | None:
    status = MessageStatus(message.status)
    if status is MessageStatus.ERROR:
        return "**This reply failed:** " + _text(
            failures.sentence(message.error_kind or "", message.error_detail)
        )
    if status is MessageStatus.STOPPED:
        return failures.STOPPED_NOTICE if message.content else failures.STOPPED_EMPTY
    if status is MessageStatus.OFFLINE:
        return "Answered offline by the built-in car tools (no model was asked)."
    if message.finish_reason == "length":
        return failures.CUT_OFF_NOTICE
    return None


def _message(message: Any) -> list[str]:
    user = message.role == Role.USER
    heading = f"## {'You' if user else 'Assistant'} · {_when(message.created_at)}"
    if not user and message.model:
        heading += f" · {_code(message.model)}"
    lines = [heading, ""]
    if message.reasoning:
        lines += [_quoted(f"**Thinking:** {message.reasoning}"), ""]
    if message.content:
        lines += [message.content.rstrip(), ""]
    pictures = _pictures(message)
    lines += pictures
    if message.facts:
        lines += _facts(message.facts)
    if message.tool_calls:
        names = ", ".join(_text(call.get("name", "?")) for call in message.tool_calls)
        lines += [f"*Tools used: {names}.*", ""]
    notice = _notice(message)
    if notice:
        lines += [_quoted(notice), ""]
    usage = _usage(message)
    if usage:
        lines += [f"*{usage}*", ""]
    return lines


def markdown_of(
    conversation: Any, messages: Sequence[Any], exported_at: datetime, app_title: str
) -> str:
    """The conversation (``models.Conversation``) and all its messages, oldest first, as
    Markdown showing only the branch on screen (``on_path``); the header says how many
    other versions were left out."""
    shown = [m for m in messages if m.on_path]
    hidden = len(messages) - len(shown)
    models = sorted({m.model for m in shown if m.role == Role.ASSISTANT and m.model})
    tokens = sum((m.prompt_tokens or 0) + (m.completion_tokens or 0) for m in messages)
    cost = sum(m.cost or 0.0 for m in messages)
    branch = "the branch shown on screen"
    if hidden:
        branch += (
            f" ({hidden} other version{'s' if hidden != 1 else ''} of messages left out; "
            "the JSON export keeps every branch)"
        )
    header = [
        f"# {_text(conversation.title)}",
        "",
        f"- Exported: {_when(exported_at)} ({_text(app_title)})",
        f"- Started: {_when(conversation.created_at)} · last active: "
        f"{_when(conversation.updated_at)}",
        f"- Model: {', '.join(_code(m) for m in models) if models else 'none answered'}",
        f"- Messages: {len(shown)}, {branch}; their text is as written, in its own Markdown",
    ]
    if tokens or cost:
        header.append(f"- Usage: {tokens:,} tokens · ${cost:.4f}")
    lines = [*header, "", "---", ""]
    for message in shown:
        lines += _message(message)
    return "\n".join(lines).rstrip() + "\n"
