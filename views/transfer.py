"""Export a conversation (Markdown, JSON), all of them (a .zip), and import them back.

The format and every check live in ``transfer/``; this module only reads the request,
scopes it to the owner and answers a download, a redirect or a JSON body.
"""

from __future__ import annotations

import tempfile
from urllib.parse import quote

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    request,
    send_file,
    url_for,
)
from werkzeug.exceptions import RequestEntityTooLarge

import session_store
import transfer
from models import Conversation, utcnow
from security import csrf, limiter, rate_limited
from views import error_body, wants_json
from views import settings as settings_views

bp = Blueprint("transfer", __name__)

# Room for the multipart envelope around the file: boundaries, headers, the CSRF token.
FORM_OVERHEAD = 64 * 1024
PRIVATE = "private, no-store"


def import_limits() -> list:
    """Limit imports (each may parse ``MAX_IMPORT_BYTES``) per client IP."""
    return [limiter.limit(lambda: current_app.config["RATE_LIMIT_IMPORT"])]


def _owned_or_404(conversation_id: str) -> Conversation:
    conversation = Conversation.owned(session_store.owner_id(), conversation_id)
    if conversation is None:
        abort(404)
    return conversation


def _download(body: str | bytes, mimetype: str, title: str, extension: str) -> Response:
    """A private download named after the title and date (ASCII, plus UTF-8 filename*)."""
    plain, unicode_name = transfer.download_names(title, utcnow(), extension)
    response = Response(body, mimetype=mimetype)
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{plain}\"; filename*=UTF-8''{quote(unicode_name, safe='')}"
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


@bp.get("/c/<conversation_id>/export.md")
def export_markdown(conversation_id: str):
    """The conversation as Markdown: the branch on screen, its fact cards and usage."""
    conversation = _owned_or_404(conversation_id)
    text = transfer.markdown_of(
        conversation,
        transfer.messages_of(conversation),
        utcnow(),
        current_app.config["APP_TITLE"],
    )
    return _download(text, "text/markdown", conversation.title, "md")


@bp.get("/c/<conversation_id>/export.json")
def export_json(conversation_id: str):
    """The conversation as a version 1 document, every branch included."""
    conversation = _owned_or_404(conversation_id)
    document = transfer.conversation_document(conversation, utcnow())
    return _download(transfer.dumps(document), "application/json", conversation.title, "json")


@bp.get("/conversations/export")
def export_all():
    """All of the visitor's conversations as one .zip (index.json + one JSON each)."""
    now = utcnow()
    # Spooled: a small archive stays in memory, a big one goes to a temporary file.
    target = tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024)  # noqa: SIM115
    transfer.export_archive(session_store.owner_id(), target, now)
    target.seek(0)
    response = send_file(
        target,
        mimetype="application/zip",
        as_attachment=True,
        download_name=transfer.archive_filename(now),
        conditional=False,
        etag=False,
        max_age=0,
    )
    response.headers["Cache-Control"] = PRIVATE
    return response


def _refused(rejected: transfer.ImportRejected):
    if wants_json():
        body = error_body(rejected.kind, rejected.message)
        if rejected.where:
            body["error"]["field"] = rejected.where
        if rejected.file:
            body["error"]["file"] = rejected.file
        return jsonify(body), rejected.status
    # Settings again, the reason beside the file field; nothing was stored.
    return settings_views._render({"import_file": rejected.message}, rejected.status)


@bp.post("/conversations/import")
@csrf.exempt  # checked first thing below, once the larger body is allowed
@rate_limited(*import_limits())
def import_conversations():
    """Import an uploaded ``file`` (a conversation's .json or an archive's .zip).

    All or nothing. A form gets 303 to the (first) imported conversation with a notice;
    JSON callers get 201 ``{"imported": [ids]}``. A refused file gets 400 (413 when too
    large) with the file, field and message at fault, and Settings keeps the form.
    """
    limits = transfer.Limits.from_config(current_app.config)
    # MAX_CONTENT_LENGTH keeps every other body small; this one route takes a file. Set
    # before the form is parsed, which CSRF's check does.
    request.max_content_length = limits.max_bytes + FORM_OVERHEAD
    try:
        csrf.protect()
        upload = request.files.get("file")
    except RequestEntityTooLarge:
        megabytes = limits.max_bytes / 1048576
        return _refused(
            transfer.ImportRejected(
                f"The file is larger than the {megabytes:,.1f} MB that can be imported.",
                status=413,
                kind="import_too_large",
            )
        )
    if upload is None or not upload.filename:
        return _refused(
            transfer.ImportRejected(
                "Choose a file to import: a .json or .zip exported from this app.",
                kind="import_missing",
            )
        )
    data = upload.stream.read(limits.max_bytes + 1)
    try:
        imported = transfer.import_upload(session_store.owner_id(), data, limits, upload.filename)
    except transfer.ImportRejected as rejected:
        return _refused(rejected)
    ids = [conversation_id for conversation_id, _, _ in imported]
    if wants_json():
        return jsonify({"imported": ids}), 201
    if not imported:
        flash("The archive held no conversations; nothing was imported.", "success")
        return redirect(url_for("settings.index"), 303)
    first_id, title, count = imported[0]
    if len(imported) == 1:
        flash(f"Imported “{title}” ({count} message{'s' if count != 1 else ''}).", "success")
    else:
        flash(
            f"Imported {len(imported)} conversations; this is the first of them. "
            "The others are in the list.",
            "success",
        )
    return redirect(url_for("chat.conversation", conversation_id=first_id), 303)
