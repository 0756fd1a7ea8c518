"""One error tree. Each condition has its own class and a stable ``code``;
the HTTP layer maps them to statuses in exactly one place."""

from __future__ import annotations


class RagError(Exception):
    """Base of every error the library raises on purpose."""

    code = "error"

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class InvalidInput(RagError):
    """The caller sent something malformed (empty question, bad filter...)."""

    code = "invalid_input"


class DocumentNotFound(RagError):
    code = "document_not_found"

    def __init__(self, document_id: str):
        super().__init__(f"no document with id {document_id!r}")
        self.document_id = document_id


class UnsupportedFormat(RagError):
    code = "unsupported_format"


class EmptyDocument(RagError):
    code = "empty_document"


class CorruptDocument(RagError):
    code = "corrupt_document"


class DocumentTooLarge(RagError):
    code = "too_large"


class IndexMismatch(RagError):
    """The stores were built with other settings (model or chunking)."""

    code = "index_mismatch"


class ModelUnavailable(RagError):
    code = "model_unavailable"


class FileUnreadable(RagError):
    """A path given to ingest does not exist or cannot be read."""

    code = "file_unreadable"


class StorageError(RagError):
    """A store failed while writing: nothing was changed, but the request did not happen."""

    code = "storage_error"
