"""Failed-login throttling per account and client address, atomic within the process.

Every attempt claims its slot before the password is checked (it counts as a failure until it
succeeds), so parallel guesses cannot all slip past the limit. An account locks only for the
addresses that failed on it: someone guessing elsewhere cannot lock the real user out. An address
that fails on many accounts locks for all of them.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

__all__ = ["LoginThrottle"]

# entries are swept once the table holds this many (unknown emails tried from many addresses)
SWEEP_AT = 10_000


@dataclass
class _Failures:
    count: int = 0
    last: float = 0.0


class LoginThrottle:
    """Counts of failed logins per (account, address) and per address, in a sliding window."""

    def __init__(self, max_failures: int, max_per_address: int, lock_seconds: float,
                 clock: Callable[[], float] = time.monotonic):
        self.max_failures = max_failures
        self.max_per_address = max_per_address
        self.lock_seconds = lock_seconds
        self._clock = clock
        self._lock = threading.Lock()
        self._failures: dict[tuple[str, str], _Failures] = {}

    def _current(self, key: tuple[str, str], now: float) -> _Failures:
        entry = self._failures.get(key)
        if entry is None or now - entry.last >= self.lock_seconds:
            entry = self._failures[key] = _Failures()
        return entry

    def claim(self, account: str, address: str) -> bool:
        """Take one attempt for ``account`` from ``address``; False (nothing taken) when locked."""
        with self._lock:
            now = self._clock()
            if len(self._failures) >= SWEEP_AT:
                self._sweep(now)
            pair = self._current((account, address), now)
            per_address = self._current(("", address), now)
            if pair.count >= self.max_failures or per_address.count >= self.max_per_address:
                return False
            for entry in (pair, per_address):
                entry.count += 1
                entry.last = now
            return True

    def release(self, account: str, address: str) -> None:
        """The claimed attempt was no failure (the password was right, or it was not a guess)."""
        with self._lock:
            self._failures.pop((account, address), None)
            per_address = self._failures.get(("", address))
            if per_address is not None and per_address.count > 0:
                per_address.count -= 1

    def _sweep(self, now: float) -> None:
        for key in [k for k, v in self._failures.items() if now - v.last >= self.lock_seconds]:
            del self._failures[key]
