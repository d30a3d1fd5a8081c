"""Time as an injected dependency (STYLE.md 7).

Code that sleeps or reads the time takes a ``clock``; the real one is
:class:`RealClock`; tests pass ``test.helpers.fake_clock.FakeClock``.
"""

import time
from typing import Protocol


class Clock(Protocol):
    """What a component needs from time."""

    def time(self) -> float:
        """Wall-clock seconds since the epoch."""

    def monotonic(self) -> float:
        """Monotonic seconds for measuring intervals."""

    def sleep(self, seconds: float) -> None:
        """Yield for ``seconds`` (cooperatively under eventlet)."""


class RealClock:
    """The real clock; sleeping goes through eventlet so other greenthreads run."""

    def time(self):
        return time.time()

    def monotonic(self):
        return time.monotonic()

    def sleep(self, seconds):
        from swift.common import concurrency
        concurrency.sleep(seconds)


REAL_CLOCK = RealClock()
