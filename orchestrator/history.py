"""Edit history: which job made each image, so an edit's chain of versions can be walked
back without a provider call (``/undo``, the History album) and branched anywhere.

Kept in the state store (memory or Redis) for ``HISTORY_TTL_S``:

- ``made:<file id>`` names the job that made that image (every result of every job);
- ``last:<chat id>:<account>`` the image an account last got (or got back) in a chat,
  what ``/undo`` without a reply starts from;
- ``recent:<account>`` the images an account last got, anywhere, newest first (at most
  ``RECENT_MAX``; none that was sent behind a spoiler): what inline mode offers to send
  again.

An edit's parent is its input image; the chain ends at an image no job of ours made (a
photo the user sent) or at a generated one. File ids are the chat platform's: a version is
sent again by its id, never downloaded.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from state.base import StateStore
from state.models import Job, JobKind

HISTORY_TTL_S = 30 * 86400.0
CHAIN_MAX = 10  # versions listed at most (an album holds ten)
RECENT_MAX = 20


@dataclass(frozen=True, slots=True)
class Version:
    file_id: str
    instruction: str | None  # the prompt that made it; None for an image the user sent
    job_id: str | None
    spoiler: bool = False  # first sent behind a spoiler: shown again the same way


def _version(file_id: str, maker: Job | None) -> Version:
    if maker is None:
        return Version(file_id, None, None)
    index = maker.result_file_ids.index(file_id) if file_id in maker.result_file_ids else -1
    return Version(file_id, maker.prompt, maker.id, index in maker.spoiler_images)


class EditHistory:
    def __init__(self, store: StateStore) -> None:
        self._store = store

    async def record(self, job: Job, account: int | None = None) -> None:
        """After delivery: the job's images are its; the first is the account's last."""
        for file_id in job.result_file_ids:
            await self._store.remember(f"made:{file_id}", job.id, HISTORY_TTL_S)
        if job.result_file_ids:
            owner = job.user_id if account is None else account
            await self.set_last(job.chat_id, owner, job.result_file_ids[0])
            # Read, then written whole: two deliveries at once may keep only one; a list
            # of what to offer again can afford that.
            # An image sent behind a spoiler is never offered again, where none would hide it.
            shown = [f for i, f in enumerate(job.result_file_ids) if i not in job.spoiler_images]
            kept = [f for f in await self.recent(owner) if f not in job.result_file_ids]
            recent = (shown + kept)[:RECENT_MAX]
            await self._store.remember(f"recent:{owner}", json.dumps(recent), HISTORY_TTL_S)

    async def recent(self, account: int) -> list[str]:
        """The images ``account`` last got, newest first."""
        kept = await self._store.recall(f"recent:{account}")
        try:
            loaded = json.loads(kept) if kept else []
        except ValueError:
            return []
        return [f for f in loaded if isinstance(f, str)] if isinstance(loaded, list) else []

    async def set_last(self, chat_id: int, account: int, file_id: str) -> None:
        await self._store.remember(f"last:{chat_id}:{account}", file_id, HISTORY_TTL_S)

    async def last(self, chat_id: int, account: int) -> str | None:
        return await self._store.recall(f"last:{chat_id}:{account}")

    async def maker(self, file_id: str) -> Job | None:
        job_id = await self._store.recall(f"made:{file_id}")
        return await self._store.get_job(job_id) if job_id else None

    async def previous(self, file_id: str) -> Version | None:
        """The version an edited image was made from; None when it is no edit of ours."""
        job = await self.maker(file_id)
        if job is None or job.kind is not JobKind.EDIT or job.input_image is None:
            return None
        parent = job.input_image.file_id
        return _version(parent, await self.maker(parent))

    async def chain(self, file_id: str) -> list[Version]:
        """The versions leading to ``file_id``, oldest first, itself last (at most
        ``CHAIN_MAX``, the newest kept)."""
        versions = [_version(file_id, await self.maker(file_id))]
        seen = {file_id}
        while len(versions) < CHAIN_MAX:
            earlier = await self.previous(versions[-1].file_id)
            if earlier is None or earlier.file_id in seen:
                break
            seen.add(earlier.file_id)
            versions.append(earlier)
        return versions[::-1]
