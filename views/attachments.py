"""Pictures sent with messages, served to their owner only.

``GET /attachments/<id>`` is the picture as stored (re-encoded, without metadata) and
``GET /attachments/<id>/thumbnail`` its small version. Anyone else, and any id that is
not one, gets 404. The bytes never change for an id, so browsers may keep them privately.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Blueprint, Response, abort

import session_store
from models import Attachment

bp = Blueprint("attachments", __name__)

# An image answer needs none of the page's powers: no scripts, styles or frames, even if
# a browser were talked into rendering it as a document.
IMAGE_CSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"


def _owned_or_404(public_id: str) -> Attachment:
    owner = session_store.known_owner_id()
    attachment = Attachment.owned(owner, public_id) if owner else None
    if attachment is None:
        abort(404)
    return attachment


def _image(data: bytes, content_type: str, filename: str) -> Response:
    response = Response(data, mimetype=content_type)
    headers = response.headers
    headers["Content-Security-Policy"] = IMAGE_CSP
    headers["X-Content-Type-Options"] = "nosniff"
    headers["Cross-Origin-Resource-Policy"] = "same-origin"
    headers["Cache-Control"] = "private, max-age=31536000, immutable"
    ascii_name = filename.encode("ascii", "replace").decode("ascii").replace('"', "")
    headers["Content-Disposition"] = (
        f"inline; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


@bp.get("/attachments/<public_id>")
def show(public_id: str):
    """The picture itself (JPEG or PNG, as stored)."""
    attachment = _owned_or_404(public_id)
    return _image(attachment.data, attachment.content_type, attachment.filename)


@bp.get("/attachments/<public_id>/thumbnail")
def thumbnail(public_id: str):
    """The picture's thumbnail (long edge at most 320 px)."""
    attachment = _owned_or_404(public_id)
    return _image(attachment.thumbnail, attachment.thumbnail_type, attachment.filename)
