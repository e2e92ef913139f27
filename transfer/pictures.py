"""An imported file's pictures, decoded and re-encoded before anything keeps them.

A file says it was exported here, but nothing in it is trusted: a crafted export could
carry a polyglot (a JPEG with an HTML or ZIP tail), a decompression bomb, EXIF with GPS
or a picture far bigger than an upload may be. So every picture goes through
``images.process_image`` with the same limits as a picture sent with a message, and what
is stored is its output, never the file's bytes.

Why always re-encode, even bytes this app wrote: telling "already clean" bytes apart
would itself need a full decode and a metadata check (a byte comparison with a fresh
encode is the same work), and skipping it for anything that merely looks like our output
would be the one hole in the rule. The cost: a JPEG loses a little more at quality 85 (a
PNG is lossless, so it comes back pixel for pixel); size in pixels, type and name are
kept.
"""

from __future__ import annotations

from typing import Any

from images import ImageRejected, process_image
from transfer.document import ImportRejected, Limits, path_text, picture_name


def _fit(width: int, height: int, edge: int) -> tuple[int, int]:
    scale = edge / max(width, height)
    if scale >= 1:
        return width, height
    return max(1, round(width * scale)), max(1, round(height * scale))


def reprocess(conversations: list[dict[str, Any]], limits: Limits) -> None:
    """Re-encode every picture of checked conversations (``parse_document``'s results),
    in place: each picture's ``raw`` bytes give way to ``image`` (an
    ``images.ProcessedImage``). All or nothing: the first bad picture raises
    ImportRejected naming its file, message and number; the decoded pictures together
    count against ``limits.max_bytes`` (413 past it) before any is decoded."""
    pictures = [
        picture
        for parsed in conversations
        for message in parsed["messages"]
        for picture in message.get("attachments") or ()
    ]
    total = sum(len(picture["raw"]) for picture in pictures)
    if total > limits.max_bytes:
        raise ImportRejected(
            f"The pictures in the file add up to {total / 1048576:,.1f} MB; at most "
            f"{limits.max_bytes / 1048576:,.1f} MB can be imported at once. Import its "
            "conversations in smaller parts.",
            status=413,
            kind="import_too_large",
        )
    for picture in pictures:
        where, path = picture["where"], picture["path"]
        name = picture_name(path, picture["filename"])
        file = None if where == "The file" else where
        try:
            image = process_image(
                picture["raw"],
                picture["filename"],
                max_bytes=limits.max_image_bytes,
                max_edge=limits.image_max_edge,
                max_pixels=limits.image_max_pixels,
            )
        except ImageRejected as refused:
            too_large = refused.status == 413
            raise ImportRejected(
                f"{where}: {name} cannot be imported: {refused.message}",
                status=413 if too_large else 400,
                kind="import_too_large" if too_large else "import_invalid",
                where=path_text(path),
                file=file,
            ) from None
        # What the file says about the picture must be what it holds (scaled down when
        # this server keeps smaller pictures than the one that exported it).
        expected = _fit(picture["width"], picture["height"], limits.image_max_edge)
        if (image.width, image.height) != expected:
            raise ImportRejected(
                f"{where}: {name} says it is {picture['width']:,} × {picture['height']:,} "
                f"pixels, but the picture is {image.width:,} × {image.height:,}.",
                where=path_text(path),
                file=file,
            )
        picture["image"] = image
        del picture["raw"]
