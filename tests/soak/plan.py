"""The soak's plan: what each phase of a round sends, which faults it sets up, and how
long it waits for everything to settle (see ``test_soak``)."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Awaitable, Callable
from typing import Any

from bot import texts
from state.models import JobKind
from tests.conftest import BOT_USERNAME
from tests.soak.traffic import Burst, Fate, Sent, Traffic, Want

PRICES = {JobKind.GENERATE: 10, JobKind.EDIT: 15}
USER_LIMIT, CHAT_LIMIT = 5, 6
TELEGRAM_TIMEOUT_S = 5.0  # a lost answer costs this long; a loaded machine answers sooner
# How long a phase may take to settle: generous, as a loaded machine is slow, never this slow.
SETTLE_S = float(os.environ.get("FULMINE_SOAK_SETTLE_S", "120"))
BLOCKED = "explicit porn of a naked woman"  # refused by the prompt check (sexual)


async def until(condition: Callable[[], Awaitable[object]], what: str) -> None:
    """Until ``condition`` returns True; whatever else it returns says what is missing."""
    seen: object = None
    try:
        async with asyncio.timeout(SETTLE_S):
            while (seen := await condition()) is not True:  # noqa: ASYNC110 (polls state)
                await asyncio.sleep(0.1)
    except TimeoutError:
        waiting = "\n".join(task_stacks())
        raise AssertionError(
            f"not within {SETTLE_S} s: {what}; last seen: {seen}; tasks:\n{waiting}"
        ) from None


def task_stacks() -> list[str]:
    """Where each task of the loop waits: what a stuck soak is stuck on."""
    found = []
    for task in asyncio.all_tasks():
        frames = task.get_stack()
        where = " <- ".join(f"{f.f_code.co_name}:{f.f_lineno}" for f in reversed(frames[-4:]))
        found.append(f"{task.get_name()}: {where}")
    return sorted(found)


def _prefix(key: str) -> str:
    return texts.text(key, seconds=999).split("999")[0]


def _bad_input(traffic: Traffic, chat: dict[str, Any], user: dict[str, Any]) -> list[Sent]:
    price = PRICES[JobKind.GENERATE]
    edit = PRICES[JobKind.EDIT]
    prices = texts.text("help_prices", generate=f"{price} sats", edit=f"{edit} sats")
    bounds = {"default": str(10 * price), "min": str(price), "max": "1,000,000"}
    cases = [
        ("/generate", texts.text("ask_prompt")),
        ("/generate --seed 7", texts.text("generate_usage")),
        ("/generate a fox --n 9", texts.text("option_bad_n", value="9", max=4)),
        ("/edit make it blue", texts.text("edit_needs_image")),
        ("/nope", texts.text("unknown_command")),
        ("/generate " + "x" * 501, texts.text("prompt_too_long", length=501, max_chars=500)),
        ("/buy lots", texts.text("buy_not_a_number", value="lots", **bounds)),
        ("/start", texts.text("start", name=user["first_name"]) + prices),
        ("/help", texts.text("help", max_chars=500) + prices),
        ("/balance", texts.text("balance", credits="1,000 sats ≈ 100 images") + prices),
    ]
    return [traffic.message(chat, user, Want.TEXT, answer, text=text) for text, answer in cases]


async def phase_requests(traffic: Traffic, tag: str) -> None:
    """Phase 1: requests of every kind; Telegram's flood control now and then."""
    emulator = traffic.stack.emulator
    batch: list[Sent] = []
    private_jobs = [
        f"/generate a red fox {tag}",
        f"/gen a lighthouse {tag} --ar 16:9",
        f"/imagine a tree {tag} --seed 7 --n 2",
        f"/generate flaky kite {tag}",
        f"/generate slow river {tag}",
        f"/generate stuck clock {tag}",
        f"/generate refused idea {tag}",
        f"/generate fragile vase {tag}",
        f"/generate a boat {tag} --ar 3:2",
    ]
    for text in private_jobs:
        user, chat = await traffic.person()
        batch.append(traffic.command(chat, user, text))
    for instruction in (f"make it night {tag}", f"add snow {tag}"):
        user, chat = await traffic.person()
        batch += traffic.edit(chat, user, instruction)
    user, chat = await traffic.person()
    batch.append(traffic.photo(chat, user, caption=f"/edit add a hat {tag}"))
    for half in (slice(0, 5), slice(5, None)):
        user, chat = await traffic.person()
        batch += _bad_input(traffic, chat, user)[half]
    blocked = texts.text("moderation_blocked_sexual")
    user, chat = await traffic.person()
    batch.append(traffic.command(chat, user, f"/generate {BLOCKED}", Want.TEXT, answer=blocked))

    user, chat = await traffic.person()  # one person's burst, past the per-user limit
    traffic.bursts[f"user-{tag}"] = Burst(USER_LIMIT, _prefix("rate_limited_user"), chat["id"])
    for i in range(USER_LIMIT + 3):
        text = f"/generate burst {i} {tag}"
        batch.append(traffic.command(chat, user, text, Want.BURST, burst=f"user-{tag}"))

    price = PRICES[JobKind.GENERATE]
    user, chat = await traffic.person(credits=int(2.5 * price))  # three at once, for two
    half = f"{price // 2} sats"  # the other half is their credit, kept for the request
    invoice = (
        texts.text("payment_invoice", images=1, price=f"{price} sats")
        + texts.text("payment_invoice_credit", credit=half)
        + texts.text("payment_invoice_pay", amount=half, minutes=15)
    )
    traffic.bursts[f"credit-{tag}"] = Burst(2, invoice, chat["id"], invoice_sats=price // 2)
    for i in range(3):
        text = f"/generate thrifty {i} {tag}"
        batch.append(traffic.command(chat, user, text, Want.BURST, burst=f"credit-{tag}"))

    group = traffic.group()  # a group: jobs, chatter, another bot's command, a refusal
    members = [await traffic.person() for _ in range(3)]
    (ada, _), (bob, _), (cy, _) = members
    batch.append(traffic.command(group, ada, f"/generate a castle {tag}"))
    caption = f"/edit@{BOT_USERNAME} add a moon {tag}"
    batch.append(traffic.photo(group, bob, caption=caption))
    batch += traffic.edit(group, ada, f"paint it gold {tag}")
    batch.append(traffic.message(group, cy, Want.NOTHING, text="hello everyone"))
    batch.append(traffic.message(group, cy, Want.NOTHING, text="/generate@other_bot a cat"))
    batch.append(traffic.command(group, cy, f"/generate {BLOCKED}", Want.TEXT, answer=blocked))

    busy = traffic.group()  # a group's burst, past the per-chat limit
    traffic.bursts[f"chat-{tag}"] = Burst(CHAT_LIMIT, _prefix("rate_limited_chat"), busy["id"])
    for i in range(4):
        user, _ = await traffic.person()
        for j in range(2):
            text = f"/gen crowd {i}-{j} {tag}"
            batch.append(traffic.command(busy, user, text, Want.BURST, burst=f"chat-{tag}"))

    unpaid = [
        (f"/generate a paid fox {tag}", Fate.PAID, price),
        (f"/generate paid owls {tag} --n 2", Fate.PAID, 2 * price),
        (f"/generate fragile paid vase {tag}", Fate.PAID, price),
        (f"/generate an unnoticed payment {tag}", Fate.UNNOTICED, price),
        (f"/generate an expiring wish {tag}", Fate.EXPIRED, price),
        (f"/generate a forgotten wish {tag}", Fate.NEVER, price),
    ]
    for text, fate, amount in unpaid:
        user, chat = await traffic.person(credits=0)
        batch.append(traffic.command(chat, user, text, Want.INVOICE, fate=fate, amount=amount))
    user, chat = await traffic.person(credits=0)
    batch.append(traffic.command(chat, user, "/buy 50", Want.TOPUP, fate=Fate.PAID, amount=50))
    traffic.topped_up.append((user, chat))

    emulator.inject_fault("sendMessage", status=429, retry_after=1, times=3)
    emulator.inject_fault("sendPhoto", status=429, retry_after=1, times=2)
    emulator.inject_fault("editMessageText", status=429, retry_after=1)
    await traffic.post(batch, repeat_share=0.1)
    await settled(traffic, invoices=False)  # their invoices are paid in the next phase


OUTCOME_FAULTS = {"sendPhoto": 2, "sendMediaGroup": 1, "getFile": 1}  # 5xx; then a timeout


async def phase_faults(traffic: Traffic, tag: str) -> None:
    """Phase 2: requests while Telegram fails or never answers; invoices meet their fate."""
    emulator = traffic.stack.emulator
    before = {m: _server_errors(traffic, m) for m in OUTCOME_FAULTS}
    for method, times in OUTCOME_FAULTS.items():
        emulator.inject_fault(method, status=500, times=times)
    for method in ("deleteMessage", "editMessageText", "sendChatAction"):
        emulator.inject_fault(method, status=502)
    for method in ("sendPhoto", "editMessageText", "deleteMessage", "getFile"):
        emulator.inject_fault(method, status="timeout", hold_s=4 * TELEGRAM_TIMEOUT_S)
    batch: list[Sent] = []
    for i in range(8):
        user, chat = await traffic.person()
        batch.append(traffic.command(chat, user, f"/generate a quiet street {i} {tag}"))
    for text in (f"/generate twin moons {tag} --n 2", f"/generate slow dawn {tag}"):
        user, chat = await traffic.person()
        batch.append(traffic.command(chat, user, text))
    for i in range(3):
        user, chat = await traffic.person()
        batch += traffic.edit(chat, user, f"make it snowy {i} {tag}")
    await asyncio.gather(
        traffic.post(batch, repeat_share=0.15), traffic.settle_invoices(), traffic.resend(0.1)
    )
    await settled(traffic)
    for method, times in OUTCOME_FAULTS.items():  # none left over to hit a later answer
        timeouts = 1 if method in ("sendPhoto", "getFile") else 0
        assert _server_errors(traffic, method) - before[method] == times + timeouts, method


def _server_errors(traffic: Traffic, method: str) -> int:
    """Calls answered with a 5xx, or not answered at all."""
    calls = traffic.stack.emulator.calls_to(method)
    return sum(1 for c in calls if (c.error_code or 0) >= 500 or not c.answered)


async def settled(traffic: Traffic, invoices: bool = True) -> None:
    """Until every update is handled and every job finished (and, with ``invoices``,
    every invoice settled but those never paid)."""
    runtime, payments = traffic.stack.runtime, traffic.payments

    async def done() -> object:
        await runtime.wait_idle()
        pending = {p.invoice_id for p in await payments.ledger.pending_invoices()}
        queued = await runtime.queue.pending()
        settled = pending == traffic.never_paid or not invoices
        return (settled and queued == 0) or (pending, queued)

    await until(done, "jobs finished and invoices settled")


def _results(traffic: Traffic, chat_id: int) -> list[tuple[int, str, str]]:
    """(message id, regenerate data, variations data) of each single-photo result."""
    found = []
    for call in traffic.stack.emulator.calls_to("sendPhoto"):
        markup = call.params.get("reply_markup")
        if call.ok and call.params["chat_id"] == chat_id and markup:
            (regenerate, variations), *_ = markup["inline_keyboard"]
            found.append(
                (
                    call.result["message_id"],
                    regenerate["callback_data"],
                    variations["callback_data"],
                )
            )
    return found


async def phase_buttons(traffic: Traffic, round_sent: list[Sent]) -> None:
    """Phase 3: result buttons pressed by their owners and by a stranger."""
    batch: list[Sent] = []
    owners = [s for s in round_sent if s.want is Want.JOB and s.chat_id > 0]
    pressed = 0
    for sent in owners:
        results = _results(traffic, sent.chat_id)
        if not results or pressed >= 4:
            continue
        message_id, regenerate, variations = results[0]
        user = traffic.stack.emulator.user(sent.user_id, f"User{sent.user_id}")
        chat = traffic.stack.emulator.private_chat(user)
        data = regenerate if pressed % 2 == 0 else variations
        batch.append(traffic.press(chat, user, message_id, data, Want.PRESS))
        pressed += 1
    assert pressed == 4, "too few delivered results to press"
    groups = {s.chat_id for s in round_sent if s.want is Want.JOB and s.chat_id < 0}
    for group_id in groups:
        for message_id, regenerate, _ in _results(traffic, group_id)[:1]:
            group = {"id": group_id, "type": "supergroup"}
            stranger, _ = await traffic.person()
            batch.append(traffic.press(group, stranger, message_id, regenerate, Want.FOREIGN_PRESS))
    for user, chat in traffic.topped_up:
        batch.append(traffic.command(chat, user, "/generate bought with credit"))
    traffic.topped_up.clear()
    traffic.stack.emulator.inject_fault("answerCallbackQuery", status=429, retry_after=1)
    # Status messages (the only messages this phase sends) that fail or whose answer is
    # lost: their jobs go on without them.
    traffic.stack.emulator.inject_fault("sendMessage", status=500)
    traffic.stack.emulator.inject_fault(
        "sendMessage", status="timeout", hold_s=4 * TELEGRAM_TIMEOUT_S
    )
    await traffic.post(batch, repeat_share=0.3)
    await settled(traffic)
