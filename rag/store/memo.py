"""Answers read from the document store, kept in memory until the next write.

Questions repeat the same reads (the chunk count, how many chunks hold a word,
the documents' metadata, the rows of popular chunks); the store clears this
memo whenever one of its transactions commits, so no answer outlives the data
it was read from. A value computed while a write commits is not kept.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable, Iterable, Mapping
from typing import Any


class WriteMemo:
    def __init__(self, max_entries: int, enabled: bool = True):
        self.max_entries = max_entries
        self.enabled = enabled
        self._values: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._generation = 0

    def invalidate(self) -> None:
        with self._lock:
            self._generation += 1
            self._values.clear()

    def get(self, key: Hashable, compute: Callable[[], Any]) -> Any:
        found = self.get_many([key], lambda missing: {key: compute()})
        return found[key]

    def get_many(self, keys: Iterable[Any], compute: Callable[[list[Any]], Mapping[Any, Any]]) -> dict[Any, Any]:
        """The values of ``keys``; ``compute(missing)`` reads those not kept (keys it omits stay absent)."""
        keys = list(keys)
        if not self.enabled:
            return dict(compute(keys))
        found: dict[Hashable, Any] = {}
        with self._lock:
            generation = self._generation
            for key in keys:
                if key in self._values:
                    self._values.move_to_end(key)
                    found[key] = self._values[key]
        missing = [k for k in keys if k not in found]
        if missing:
            computed = compute(missing)
            found.update(computed)
            with self._lock:
                if self._generation == generation:
                    self._values.update(computed)
                    while len(self._values) > self.max_entries:
                        self._values.popitem(last=False)
        return found
