"""Export and import of conversations: a versioned JSON format, a .zip archive, Markdown.

No Flask here; the views (views/transfer.py) hand over bytes and an owner id.

The format (``schemas/conversation-v1.json``)::

    {"format": "autochat.conversation", "version": 1, "exported_at": "<ISO 8601>",
     "conversation": {"title", "created_at", "updated_at", "pinned_at",
                      "messages": [{"id": 1, "parent": null, "reply_to": null,
                                    "chosen": true, "on_path": true, "role": "user",
                                    "content", "created_at", "status", "error_kind",
                                    "error_detail", "model", "prompt_tokens",
                                    "completion_tokens", "cost", "context_dropped",
                                    "reasoning", "finish_reason", "facts", "tool_calls"}]}}

Message ids are local to the file (1, 2, 3... in the order the messages were written);
``parent`` (the branch structure) and ``reply_to`` (which question a reply answers) name an
earlier message of the same file. Nothing ties a file to its owner, session or key.

All of a visitor's conversations export as one .zip (``archive.py``): ``index.json``
(``schemas/archive-index-v1.json``) lists ``conversations/NNNN-<slug>.json`` files, each a
whole conversation document that also imports on its own. A zip rather than one big JSON
document: a reader can open or re-import one conversation without the rest, and the
archive compresses well.

Pictures (issue 14) stay within version 1: readers ignore fields they do not know, so a
user message gained an optional ``"attachments": [{"filename", "content_type", "width",
"height", "data" (base64)}]`` list, in the pictures' order. Old files (without it) stay
valid for the new reader; a new file read by an older server imports without the images
rather than failing. In the .zip the pictures stay base64 inside their conversation's
document (see ``archive.py``). An import trusts none of it: each picture is decoded and
re-encoded by ``images.process_image`` with the server's limits (``pictures.py``). A
change an older reader would misread (a field changing meaning) needs ``"version": 2``.
"""

from transfer.archive import archive_filename, read_archive, write_archive
from transfer.document import (
    ARCHIVE_FORMAT,
    FORMAT,
    VERSION,
    ImportRejected,
    Limits,
    document_of,
    download_names,
    dumps,
    parse_document,
)
from transfer.markdown import markdown_of
from transfer.store import (
    conversation_document,
    export_archive,
    import_upload,
    messages_of,
)

__all__ = [
    "ARCHIVE_FORMAT",
    "FORMAT",
    "VERSION",
    "ImportRejected",
    "Limits",
    "archive_filename",
    "conversation_document",
    "document_of",
    "download_names",
    "dumps",
    "export_archive",
    "import_upload",
    "markdown_of",
    "messages_of",
    "parse_document",
    "read_archive",
    "write_archive",
]
