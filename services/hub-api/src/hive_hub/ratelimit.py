"""Rate limits: token buckets for the ingest endpoint (per source, refilled continuously), the
failed-authentication throttle (per client address) and the coalescing of repeated refusals in
the audit trail."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable


class TokenBuckets:
    """`rate` tokens per second up to `burst`; `take(key)` returns 0 when allowed, else the
    seconds until a token is there (for Retry-After)."""

    def __init__(
        self, rate: float, burst: int, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.rate = rate
        self.burst = float(burst)
        self._clock = clock
        self._buckets: dict[str, tuple[float, float]] = {}
        self._lock = threading.Lock()

    def take(self, key: str) -> float:
        with self._lock:
            now = self._clock()
            tokens, at = self._buckets.get(key, (self.burst, now))
            tokens = min(self.burst, tokens + (now - at) * self.rate)
            if tokens >= 1.0:
                self._buckets[key] = (tokens - 1.0, now)
                return 0.0
            self._buckets[key] = (tokens, now)
            return (1.0 - tokens) / self.rate


class FailureThrottle:
    """Refusals per client address: once a client has earned `failures` of them within
    `window_s`, `retry_after(client)` is the seconds until the oldest of those leaves the window
    (0 while the client may still try). Only the last `failures` are kept per client."""

    def __init__(
        self, failures: int, window_s: float, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.failures = failures
        self.window_s = window_s
        self._clock = clock
        self._by_client: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def fail(self, client: str) -> None:
        with self._lock:
            seen = self._by_client.get(client)
            if seen is None:
                seen = self._by_client[client] = deque(maxlen=self.failures)
            seen.append(self._clock())

    def retry_after(self, client: str) -> float:
        with self._lock:
            seen = self._by_client.get(client)
            if seen is None or len(seen) < self.failures:
                return 0.0
            return max(0.0, seen[0] + self.window_s - self._clock())

    def prune(self) -> None:
        """Forget clients whose last refusal has left the window (bounded memory)."""
        with self._lock:
            now = self._clock()
            for client in [c for c, s in self._by_client.items() if s[-1] + self.window_s <= now]:
                del self._by_client[client]


class Coalescer:
    """Per key, the first event of a window is let through (`admit` is True) and the later ones
    in that window are only counted; `due()` hands back (key, count) for every window that has
    ended with a count, once, and forgets it (`due(every=True)`: all windows, e.g. at shutdown).
    """

    def __init__(self, window_s: float, clock: Callable[[], float] = time.monotonic) -> None:
        self.window_s = window_s
        self._clock = clock
        self._open: dict[tuple[str, ...], list[float]] = {}  # key -> [window start, count]
        self._due: list[tuple[tuple[str, ...], int]] = []
        self._lock = threading.Lock()

    def admit(self, key: tuple[str, ...]) -> bool:
        with self._lock:
            now = self._clock()
            window = self._open.get(key)
            if window is not None and now - window[0] < self.window_s:
                window[1] += 1
                return False
            if window is not None and window[1]:
                self._due.append((key, int(window[1])))
            self._open[key] = [now, 0]
            return True

    def due(self, *, every: bool = False) -> list[tuple[tuple[str, ...], int]]:
        with self._lock:
            now = self._clock()
            out, self._due = self._due, []
            for key, (start, count) in list(self._open.items()):
                if every or now - start >= self.window_s:
                    del self._open[key]
                    if count:
                        out.append((key, int(count)))
            return out
