"""The status message shown while a job waits and runs."""

from __future__ import annotations

from state.models import JobKind

STATUS_KEYS = {JobKind.EDIT: "status_editing", JobKind.UPSCALE: "status_upscaling"}


def status_key(kind: JobKind) -> str:
    """The text key of the status message while a job of ``kind`` runs."""
    return STATUS_KEYS.get(kind, "status_generating")
