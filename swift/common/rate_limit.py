# Owns pacing of daemon work (files/s, bytes/s, tasks/s) through an injected clock.
# Rule (Swift's ratelimit_sleep): each unit of work books 1/max_rate seconds on a
# running schedule; a caller ahead of the schedule sleeps the difference; a caller that
# fell more than ``rate_buffer_s`` behind (idle, slow disk) restarts the schedule at
# "now", so at most rate_buffer_s of work can burst after a pause.
"""Rate limiting: :class:`RateLimiter`."""


class RateLimiter:
    """Paces work to ``max_rate`` units per second using ``clock.sleep``.

    :param max_rate: units per second; 0 or less means unlimited (never sleeps).
    :param clock: :class:`swift.common.clock.Clock` (``monotonic()``, ``sleep()``).
    :param rate_buffer_s: seconds of schedule that may be caught up in a burst.
    """

    def __init__(self, max_rate, clock, rate_buffer_s=5.0):
        self.max_rate = float(max_rate)
        self.clock = clock
        self.rate_buffer_s = float(rate_buffer_s)
        self.running_time = None
        self.slept_s = 0.0

    def wait(self, incr_by=1):
        """Account for ``incr_by`` units, sleeping first if ahead of the schedule.

        :param incr_by: units of work about to be done (files, bytes...).
        :returns: seconds slept (0.0 when none).
        """
        if self.max_rate <= 0 or incr_by <= 0:
            return 0.0
        now = self.clock.monotonic()
        time_per_request = float(incr_by) / self.max_rate
        slept = 0.0
        if self.running_time is None or now - self.running_time > self.rate_buffer_s:
            self.running_time = now
        elif self.running_time - now > time_per_request:
            slept = self.running_time - now
            self.clock.sleep(slept)
            self.slept_s += slept
        self.running_time += time_per_request
        return slept
