"""When the worker may show a chat action ("sending a photo…") for a job.

A chat action is cosmetic: the status message already says the job is being worked on.
So the first one waits until a job has taken a moment (most fast jobs never need one),
and all of a process's jobs share a budget of actions per second: with hundreds of jobs
waiting on a slow provider, one call each every few seconds would be hundreds of Bot API
calls a second (Telegram allows about 30) and the event loop would spend its time on them.
"""

from __future__ import annotations

import time


class ChatActionBudget:
    """A token bucket: ``per_second`` actions a second, bursts up to ``burst``."""

    def __init__(self, per_second: float, burst: int | None = None) -> None:
        self._rate = per_second
        self._capacity = float(burst if burst is not None else max(1, int(per_second)))
        self._tokens = self._capacity
        self._updated = time.monotonic()

    def take(self) -> bool:
        """True when an action may be sent now; False: skip this one."""
        if self._rate <= 0:
            return True  # no budget configured: always
        now = time.monotonic()
        self._tokens = min(self._capacity, self._tokens + (now - self._updated) * self._rate)
        self._updated = now
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True
