"""Records the state store keeps. Plain data, serialisable, no behaviour."""

from __future__ import annotations

import time
import uuid
from enum import StrEnum

from pydantic import BaseModel, Field


class JobKind(StrEnum):
    GENERATE = "generate"
    EDIT = "edit"


class JobStatus(StrEnum):
    QUEUED = "queued"
    RUNNING = "running"
    DELIVERED = "delivered"
    FAILED = "failed"


class InputImage(BaseModel):
    """A chat file to edit: the chat platform's file id, never a download URL."""

    file_id: str
    file_size: int | None = None
    mime_type: str | None = None


class Job(BaseModel):
    """One image request, from acceptance to delivery."""

    id: str = Field(default_factory=lambda: uuid.uuid4().hex)
    kind: JobKind
    prompt: str
    chat_id: int
    user_id: int
    request_message_id: int
    status_message_id: int | None = None
    input_image: InputImage | None = None
    language: str | None = None
    status: JobStatus = JobStatus.QUEUED
    created_at: float = Field(default_factory=time.time)
    updated_at: float = Field(default_factory=time.time)
    error: str | None = None
