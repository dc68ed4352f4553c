"""The Bot API emulator in its own process, for the benches.

    python -m bench.emulator_process UPDATES USERS TEXT UPDATES_FILE

Registers USERS private chats, writes UPDATES message updates with TEXT (spread over
the users) to UPDATES_FILE, prints its base URL and serves until terminated, keeping a
count of the Bot API calls in UPDATES_FILE with the suffix ``.calls.json`` (every 0.1 s).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import signal
import sys
from collections import Counter
from pathlib import Path

from bench.support import BOT_TOKEN, BOT_USERNAME
from devtools.emulator import BotApiEmulator
from orchestrator.serving.server import serve_in_background


async def main(updates: int, users: int, text: str, path: Path) -> None:
    emulator = BotApiEmulator(BOT_TOKEN, bot_username=BOT_USERNAME)
    people = [emulator.user(10_000 + i, f"User{i}") for i in range(users)]
    chats = [emulator.private_chat(person) for person in people]
    prepared = [
        emulator.user_message(chats[i % users], people[i % users], text=text)
        for i in range(updates)
    ]
    path.write_text(json.dumps(prepared))  # noqa: ASYNC240 - before serving
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    # Recorded calls would only grow: the benches count on their side.
    emulator.calls.clear()
    counts: Counter[str] = Counter()
    progress = path.with_suffix(".calls.json")

    def tally() -> None:
        if emulator.calls:
            counts.update(call.method for call in emulator.calls)
            emulator.calls.clear()
            progress.write_text(json.dumps(counts))

    async with serve_in_background(emulator.app) as url:
        print(url, flush=True)
        while not stop.is_set():
            tally()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 0.1)
    tally()
    progress.write_text(json.dumps(counts))


if __name__ == "__main__":
    count, people, words, out = sys.argv[1:5]
    asyncio.run(main(int(count), int(people), words, Path(out)))
