"""One error tree. Each condition has its own class and a stable ``code``;
the HTTP layer maps them to statuses in exactly one place."""

from __future__ import annotations

import errno


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


class ExtractionLimit(RagError):
    """Reading the document would cross a limit on its shape or cost (nesting, extraction time)."""

    code = "extraction_limit"


class IndexMismatch(RagError):
    """The stores were built with other settings (model or chunking)."""

    code = "index_mismatch"


class ModelUnavailable(RagError):
    code = "model_unavailable"


class FileUnreadable(RagError):
    """A path given to ingest does not exist or cannot be read."""

    code = "file_unreadable"


class StorageError(RagError):
    """A store failed while writing; the write was rolled back."""

    code = "storage_error"


class ChromaUnavailable(StorageError):
    """The Chroma server holding the vectors could not be started or does not answer."""

    code = "chroma_unavailable"


class StorageFull(StorageError):
    """A write found no space left (full disk, quota or file size limit)."""

    code = "storage_full"


_FULL_ERRNOS = frozenset({errno.ENOSPC, errno.EFBIG, errno.EDQUOT})
_FULL_WORDS = ("disk is full", "no space left", "file too large", "quota exceeded")


def is_out_of_space(exc: BaseException) -> bool:
    """An OS, SQLite or Chroma error that means the data folder ran out of space."""
    text = str(exc).lower()
    return getattr(exc, "errno", None) in _FULL_ERRNOS or any(words in text for words in _FULL_WORDS)


def storage_failure(exc: BaseException) -> StorageError:
    """What a failed store write is reported as."""
    if isinstance(exc, StorageError):
        return exc
    if is_out_of_space(exc):
        return StorageFull("no space left in the data folder; nothing was changed. Free some space and retry")
    return StorageError(f"the stores failed during the write ({type(exc).__name__}); nothing was changed. Retry later")
