"""FakeClock: a clock that advances instantly and records every sleep."""


class FakeClock:
    """Implements swift.common.clock.Clock without real time passing.

    :param start: initial wall-clock seconds.
    """

    def __init__(self, start=1700000000.0):
        self.now = float(start)
        self.mono = 1000.0
        self.sleeps = []

    def time(self):
        return self.now

    def monotonic(self):
        return self.mono

    def sleep(self, seconds):
        self.sleeps.append(seconds)
        self.advance(max(0.0, seconds))

    def advance(self, seconds):
        """Move both clocks forward by ``seconds``."""
        self.now += seconds
        self.mono += seconds
