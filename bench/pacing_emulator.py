"""The Bot API emulator in limit mode, in its own process, for ``bench/pacing.py``.

    python -m bench.pacing_emulator JOBS PRIVATE GROUPS OUT_FILE

Registers PRIVATE private chats and GROUPS groups, writes JOBS ``/generate`` updates spread
over them (in a group each from another member) to OUT_FILE, prints its base URL and serves
with Telegram's sending limits enforced until terminated. Every 0.1 s it writes to OUT_FILE
with the suffix ``.calls.json``: photos sent, 429s answered, the counted calls per chat and
the times (this process's clock) of the first and last counted call and of the last photo.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from bench.support import BOT_TOKEN, BOT_USERNAME
from devtools.emulator import BotApiEmulator
from devtools.emulator.limits import SendingLimits, counted
from orchestrator.serving.server import serve_in_background


def prepare(emulator: BotApiEmulator, jobs: int, private: int, groups: int) -> list[Any]:
    chats = [emulator.private_chat(emulator.user(20_000 + i, f"P{i}")) for i in range(private)]
    chats += [emulator.group_chat() for _ in range(groups)]
    updates = []
    for n in range(jobs):
        chat = chats[n % len(chats)]
        sender_id = chat["id"] if chat["type"] == "private" else 50_000 + n
        sender = emulator.user(sender_id, f"U{sender_id}")
        updates.append(emulator.user_message(chat, sender, text=f"/generate burst {n}"))
    return updates


async def main(jobs: int, private: int, groups: int, path: Path) -> None:
    limits = SendingLimits()
    emulator = BotApiEmulator(BOT_TOKEN, bot_username=BOT_USERNAME, limits=limits)
    path.write_text(json.dumps(prepare(emulator, jobs, private, groups)))  # noqa: ASYNC240
    emulator.calls.clear()
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    per_chat: Counter[str] = Counter()
    seen: dict[str, Any] = {"photos": 0, "first": None, "last": None, "last_photo": None}
    progress = path.with_suffix(".calls.json")

    def tally() -> None:
        now = time.monotonic()  # within 0.1 s of the calls tallied
        for call in emulator.calls:
            chat_id = call.params.get("chat_id")
            if call.ok and counted(call.method, chat_id):
                per_chat[str(chat_id)] += 1
                seen["first"] = seen["first"] or now
                seen["last"] = now
            if call.ok and call.method == "sendPhoto":
                seen["photos"] += 1
                seen["last_photo"] = now
        emulator.calls.clear()
        progress.write_text(
            json.dumps(
                {
                    **seen,
                    "refused": limits.refused,
                    "refused_by": limits.refused_by,
                    "per_chat": per_chat,
                }
            )
        )

    async with serve_in_background(emulator.app) as url:
        print(url, flush=True)
        while not stop.is_set():
            tally()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
    tally()


if __name__ == "__main__":
    count, chats, group_count, out = sys.argv[1:5]
    asyncio.run(main(int(count), int(chats), int(group_count), Path(out)))
