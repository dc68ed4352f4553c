"""Names of the one-time marks a job's handling takes (``StateStore.first_sighting`` and,
with an owner, ``StateStore.take_mark``)."""

from __future__ import annotations


def delivery_mark(job_id: str) -> str:
    """Taken (``take_mark``, the sending attempt its owner) just before a job's photo is
    sent; whoever holds it is the only sender."""
    return f"delivery:{job_id}"


def status_owner_mark(job_id: str) -> str:
    """Taken by whoever first changes the status message: the queue-position display or
    the worker starting the job (see ``orchestrator/jobs/positions.py``)."""
    return f"status-owner:{job_id}"
