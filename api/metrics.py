"""Prometheus text exposition (format 0.0.4), written by hand.

Request counts by route, method and status; latency histograms by route;
gauges are passed in at render time (documents and chunks stored).
Routes are labelled by their template (``/documents/{document_id}``), and
requests that match no route share the label ``unmatched``, so the number
of series stays bounded whatever paths clients try.
"""

from __future__ import annotations

import threading
from collections import defaultdict

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
PREFIX = "rag_http"


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: str) -> str:
    return "{" + ",".join(f'{k}="{_escape(v)}"' for k, v in labels.items()) + "}"


def _number(value: float) -> str:
    return repr(float(value)) if not float(value).is_integer() else str(int(value))


class _Histogram:
    __slots__ = ("counts", "total", "count")

    def __init__(self) -> None:
        self.counts = [0] * len(BUCKETS)
        self.total = 0.0
        self.count = 0

    def observe(self, seconds: float) -> None:
        for i, bound in enumerate(BUCKETS):
            if seconds <= bound:
                self.counts[i] += 1
        self.total += seconds
        self.count += 1


class Metrics:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._requests: dict[tuple[str, str, str], int] = defaultdict(int)
        self._latency: dict[str, _Histogram] = defaultdict(_Histogram)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        with self._lock:
            self._requests[(route, method, str(status))] += 1
            self._latency[route].observe(seconds)

    def render(self, gauges: dict[str, tuple[str, float]] | None = None) -> str:
        lines: list[str] = []
        with self._lock:
            lines += [
                f"# HELP {PREFIX}_requests_total HTTP requests answered, by route, method and status.",
                f"# TYPE {PREFIX}_requests_total counter",
            ]
            for (route, method, status), count in sorted(self._requests.items()):
                lines.append(f"{PREFIX}_requests_total{_labels(route=route, method=method, status=status)} {count}")
            lines += [
                f"# HELP {PREFIX}_request_duration_seconds Time to answer a request, by route.",
                f"# TYPE {PREFIX}_request_duration_seconds histogram",
            ]
            for route, hist in sorted(self._latency.items()):
                for bound, count in zip(BUCKETS, hist.counts):
                    lines.append(f"{PREFIX}_request_duration_seconds_bucket{_labels(route=route, le=_number(bound))} {count}")
                lines.append(f"{PREFIX}_request_duration_seconds_bucket{_labels(route=route, le='+Inf')} {hist.count}")
                lines.append(f"{PREFIX}_request_duration_seconds_sum{_labels(route=route)} {hist.total!r}")
                lines.append(f"{PREFIX}_request_duration_seconds_count{_labels(route=route)} {hist.count}")
        for name, (help_text, value) in (gauges or {}).items():
            lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge", f"{name} {_number(value)}"]
        return "\n".join(lines) + "\n"
