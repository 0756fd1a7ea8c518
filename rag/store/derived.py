"""What is read from the stored documents once and kept until a document is added,
changed or removed (the section map of provisions, the defined terms)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

from .documents import DocumentStore

__all__ = ["Derived"]

T = TypeVar("T")


class Derived(Generic[T]):
    """``read()``'s result, read again only when the stored documents' versions have changed."""

    def __init__(self, store: DocumentStore, read: Callable[[], T], empty: T):
        self.store = store
        self._read = read
        self._lock = threading.Lock()
        self._signature: tuple[tuple[str, str], ...] | None = None
        self._value = empty

    def get(self) -> T:
        # the documents' hashes, read once between writes however many keepers ask (every question asks)
        signature = tuple(sorted(self.store.memo.get("document hashes", self.store.hashes).items()))
        with self._lock:
            if signature != self._signature:
                self._value, self._signature = self._read(), signature
            return self._value
