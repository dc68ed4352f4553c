"""Why the orchestrator itself gave up on a job: the ``JobError`` branch of the tree drawn
in :mod:`fulmine.errors`."""

from __future__ import annotations

from fulmine.errors import Failure


class JobError(Failure):
    """A job ended without an image for a reason of the orchestrator's own."""

    def __init__(self, job_id: str, reason: str) -> None:
        super().__init__(f"job {job_id}: {reason}")
        self.job_id = job_id
        self.reason = reason


class JobExpired(JobError):
    """The job was still unfinished at its deadline (queued or retried too long)."""

    def __init__(self, job_id: str, late_by_s: float) -> None:
        super().__init__(job_id, f"past its deadline by {late_by_s:.0f} s")
        self.late_by_s = late_by_s


class JobAbandoned(JobError):
    """Workers kept dying on the job, or the process stopped with it unfinished and no
    durable queue to hand it back to."""

    def __init__(self, job_id: str, attempts: int, reason: str) -> None:
        super().__init__(job_id, f"{reason} (after {attempts} attempts)")
        self.attempts = attempts


class DeliveryUncertain(JobError):
    """The job's photo may or may not have arrived: a worker died while sending it, or the
    send's answer was lost (a timeout, a server error). Sending again could show it twice,
    so the job is not sent again; it ends failed, its reservation released."""

    def __init__(
        self, job_id: str, reason: str = "worker died while delivering; not sent again"
    ) -> None:
        super().__init__(job_id, reason)


class JobCancelled(JobError):
    """Its sender cancelled the job while it waited or was being made; nothing is sent and
    its reservation is released."""

    def __init__(self, job_id: str) -> None:
        super().__init__(job_id, "cancelled by its sender")
