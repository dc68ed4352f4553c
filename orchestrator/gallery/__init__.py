"""The gallery: every image delivered to a chat user, kept in the image store and indexed
per user in the state store (``state.base.ImageHistory``) for ``IMAGE_RETENTION_DAYS``; the
Mini App shows it through short-lived signed links."""

from orchestrator.gallery.recording import RecordingFrontend
from orchestrator.gallery.service import Gallery, GalleryItem

__all__ = ["Gallery", "GalleryItem", "RecordingFrontend"]
