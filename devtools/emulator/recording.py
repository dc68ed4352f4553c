"""What the bot asked of the emulator (calls) and what a chat member would see (events)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable

from devtools.emulator.models import ApiCall, BotEvent

Predicate = Callable[[ApiCall], bool]


class Recorder:
    """The recording half of the emulator; ``canonical`` spells method names as the spec does."""

    def __init__(self, canonical: Callable[[str], str | None]) -> None:
        self.calls: list[ApiCall] = []
        self._canonical = canonical
        self._waiters: list[tuple[Predicate, asyncio.Future[ApiCall]]] = []
        self._queues: list[asyncio.Queue[BotEvent]] = []

    def _record(self, call: ApiCall) -> None:
        self.calls.append(call)
        for predicate, future in list(self._waiters):
            if future.done():
                continue
            try:
                matched = predicate(call)
            except Exception as exc:  # the waiter's predicate failed: fail the waiter
                future.set_exception(exc)
                continue
            if matched:
                future.set_result(call)

    def calls_to(self, method: str) -> list[ApiCall]:
        """The recorded calls of ``method`` (any case), oldest first."""
        name = self._canonical(method) or method
        return [call for call in self.calls if call.method == name]

    async def wait_for_call(
        self,
        method: str,
        predicate: Predicate | None = None,
        timeout: float = 5.0,  # noqa: ASYNC109 - the documented interface
    ) -> ApiCall:
        """The first call of ``method`` matching ``predicate``, recorded already or awaited.

        Raises TimeoutError if none arrives within ``timeout`` seconds.
        """
        name = self._canonical(method) or method

        def matches(call: ApiCall) -> bool:
            return call.method == name and (predicate is None or predicate(call))

        for call in self.calls:
            if matches(call):
                return call
        future: asyncio.Future[ApiCall] = asyncio.get_running_loop().create_future()
        waiter = (matches, future)
        self._waiters.append(waiter)
        try:
            async with asyncio.timeout(timeout):
                return await future
        except TimeoutError:
            seen = ", ".join(call.method for call in self.calls) or "none"
            raise TimeoutError(
                f"no matching {name} call within {timeout}s (calls: {seen})"
            ) from None
        finally:
            self._waiters.remove(waiter)

    def _emit(self, event: BotEvent) -> None:
        for queue in self._queues:
            queue.put_nowait(event)

    def subscribe(self) -> asyncio.Queue[BotEvent]:
        """A queue receiving every BotEvent from now on (until :meth:`unsubscribe`)."""
        queue: asyncio.Queue[BotEvent] = asyncio.Queue()
        self._queues.append(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[BotEvent]) -> None:
        with contextlib.suppress(ValueError):
            self._queues.remove(queue)

    async def events(self) -> AsyncIterator[BotEvent]:
        """What the bot does, as it happens, for as long as the iteration goes on."""
        queue = self.subscribe()
        try:
            while True:
                yield await queue.get()
        finally:
            self.unsubscribe(queue)
