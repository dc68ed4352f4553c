"""Names of the one-time marks (``StateStore.first_sighting``) a job's handling takes."""

from __future__ import annotations


def delivery_mark(job_id: str) -> str:
    """Taken just before a job's photo is sent; whoever holds it is the only sender."""
    return f"delivery:{job_id}"


def status_owner_mark(job_id: str) -> str:
    """Taken by whoever first changes the status message: the queue-position display or
    the worker starting the job (see ``orchestrator/queue_positions.py``)."""
    return f"status-owner:{job_id}"
