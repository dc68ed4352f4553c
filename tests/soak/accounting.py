"""The soak's books: from what was sent, what must have happened; checked against the Bot
API emulator's record, the state store, the ledger and the logs.

Each check raises AssertionError with the first offending item and what was seen of it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from bot import texts
from bot.sending.failures import FAILURE_TEXTS
from devtools.emulator.models import ApiCall
from orchestrator.stats.counters import REVENUE_SATS
from state.models import Balance, Job, JobKind, JobStatus
from tests.conftest import Stack
from tests.soak.scripted_replicate import FAILING, marker
from tests.soak.traffic import Fate, Sent, Traffic, Want

RESULT_SENDS = ("sendPhoto", "sendDocument", "sendMediaGroup")
FAILURE_KEYS = ["failed_internal", "failed_provider_rejected", *(key for _, key in FAILURE_TEXTS)]


def log_entries(stderr: str) -> list[dict[str, Any]]:
    lines = [line for line in stderr.splitlines() if line.strip()]
    not_json = [line for line in lines if not line.startswith("{")]
    assert not_json == [], "\n".join(not_json[:20])  # e.g. a traceback printed around the logger
    return [json.loads(line) for line in lines]


@dataclass
class JobsSeen:
    """Which update started which job, read from the logs (each line names its update)."""

    accepted: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    parked: dict[int, list[str]] = field(default_factory=lambda: defaultdict(list))
    resumed: Counter[str] = field(default_factory=Counter)

    @classmethod
    def from_logs(cls, entries: Iterable[dict[str, Any]]) -> JobsSeen:
        seen = cls()
        for entry in entries:
            event = entry.get("event")
            if event == "job_accepted":
                seen.accepted[entry["update_id"]].append(entry["job_id"])
            elif event == "job_awaits_payment":
                seen.parked[entry["update_id"]].append(entry["job_id"])
            elif event == "parked_job_queued":
                seen.resumed[entry["job_id"]] += 1
        return seen

    def run(self) -> list[str]:
        """Every job that was queued for a worker."""
        return [j for ids in self.accepted.values() for j in ids] + list(self.resumed)


def _reply_to(call: ApiCall) -> int | None:
    reply = call.params.get("reply_parameters") or {}
    return reply.get("message_id")


def _callback_data(call: ApiCall) -> list[str]:
    markup = call.params.get("reply_markup") or {}
    return [b.get("callback_data", "") for row in markup.get("inline_keyboard", []) for b in row]


class Books:
    def __init__(self, stack: Stack, traffic: Traffic, seen: JobsSeen) -> None:
        self.stack = stack
        self.traffic = traffic
        self.seen = seen
        self.calls = list(stack.emulator.calls)
        self.jobs: dict[str, Job] = {}

    def _ok(self, method: str, chat_id: int) -> list[ApiCall]:
        return [
            c for c in self.calls if c.method == method and c.ok and c.params["chat_id"] == chat_id
        ]

    def texts_in(self, chat_id: int) -> Counter[str]:
        return Counter(str(c.params["text"]) for c in self._ok("sendMessage", chat_id))

    # Jobs -----------------------------------------------------------------------------------

    def check_updates_started_jobs(self) -> None:
        """Each update that should start a job started exactly one, however often it was
        posted; no other update started any."""
        burst_jobs: Counter[str] = Counter()
        burst_parked: Counter[str] = Counter()
        for sent in self.traffic.sent:
            accepted = self.seen.accepted.get(sent.update_id, [])
            parked = self.seen.parked.get(sent.update_id, [])
            if sent.want in (Want.JOB, Want.PRESS):
                assert (len(accepted), parked) == (1, []), (sent, accepted, parked)
            elif sent.want is Want.INVOICE:
                assert (accepted, len(parked)) == ([], 1), (sent, accepted, parked)
                resumed = self.seen.resumed[parked[0]]
                assert resumed == (sent.fate in (Fate.PAID, Fate.UNNOTICED)), (sent, resumed)
            elif sent.want is Want.BURST:
                assert len(accepted) + len(parked) <= 1, (sent, accepted, parked)
                assert all(self.seen.resumed[job_id] == 0 for job_id in parked), sent
                burst_jobs[str(sent.burst)] += len(accepted)
                burst_parked[str(sent.burst)] += len(parked)
            else:
                assert (accepted, parked) == ([], []), (sent, accepted, parked)
        for name, burst in self.traffic.bursts.items():
            assert burst_jobs[name] == burst.admitted, (name, burst_jobs[name], burst)
            assert burst_parked[name] == (1 if burst.invoice_sats else 0), (name, burst)
        assert all(count == 1 for count in self.seen.resumed.values()), self.seen.resumed

    async def load_jobs(self) -> None:
        for job_id in self.seen.run():
            job = await self.stack.runtime.store.get_job(job_id)
            assert job is not None, job_id
            self.jobs[job_id] = job
        for sent in self.traffic.sent:  # each job answers the message that asked for it
            for job_id in self.seen.accepted.get(sent.update_id, []):
                job = self.jobs[job_id]
                asked = (sent.chat_id, sent.user_id, sent.message_id)
                assert (job.chat_id, job.user_id, job.request_message_id) == asked, (sent, job)
        store = self.stack.runtime.store
        for sent in self.traffic.sent:  # parked jobs: never queued, or failed unpaid
            for job_id in self.seen.parked.get(sent.update_id, []):
                job = await store.get_job(job_id)
                assert job is not None, job_id
                if sent.fate is Fate.NEVER or sent.want is Want.BURST:
                    assert (job.status, job.reserved_sats) == (JobStatus.QUEUED, None), job
                elif sent.fate is Fate.EXPIRED:
                    assert (job.status, job.error) == (JobStatus.FAILED, "Unpaid"), job

    async def check_nothing_left(self) -> None:
        runtime = self.stack.runtime
        assert await runtime.queue.pending() == 0
        assert await runtime.store.in_flight() == 0
        statuses = Counter(job.status for job in self.jobs.values())
        assert set(statuses) <= {JobStatus.DELIVERED, JobStatus.FAILED}, statuses
        counted = {
            "jobs_accepted": len(self.jobs),
            "jobs_delivered": statuses[JobStatus.DELIVERED],
            "jobs_failed": statuses[JobStatus.FAILED],
        }
        for name, expected in counted.items():
            assert await runtime.stats.counter(name) == expected, name

    def _results(self, job: Job) -> tuple[list[ApiCall], list[ApiCall]]:
        """The job's result sends Telegram confirmed, and those whose outcome the bot could
        not know (a 5xx, or carried out with the answer lost: a timeout)."""
        confirmed, unknown = [], []
        for call in self.calls:
            if call.method not in RESULT_SENDS or call.params.get("chat_id") != job.chat_id:
                continue
            if _reply_to(call) != job.request_message_id:
                continue
            if job.num_images == 1 and not any(
                data.endswith(f":{job.id}") for data in _callback_data(call)
            ):
                continue  # e.g. the invoice's QR code, or another job's
            if call.ok and call.answered:
                confirmed.append(call)
            elif not call.answered or (call.error_code or 0) >= 500:
                unknown.append(call)
        return confirmed, unknown

    def _input_failed(self, job: Job) -> bool:
        if job.input_image is None:
            return False
        file_id = job.input_image.file_id
        asked = [c for c in self.calls if c.method == "getFile" and c.params["file_id"] == file_id]
        return bool(asked) and not any(c.ok for c in asked)  # a failed read may be retried

    def _failure_told(self, job: Job) -> list[str]:
        edits = [
            str(c.params["text"])
            for c in self._ok("editMessageText", job.chat_id)
            if c.params.get("message_id") == job.status_message_id
        ]
        sends = [
            str(c.params["text"])
            for c in self._ok("sendMessage", job.chat_id)
            if _reply_to(c) == job.request_message_id
        ]
        candidates = {texts.text(k) for k in FAILURE_KEYS}  # each says "not charged" itself
        return [text for text in edits + sends if text in candidates]

    def check_outcomes(self) -> Counter[str]:
        """Delivered once, or failed and told once: as the job's faults say it must be."""
        outcomes: Counter[str] = Counter()
        for job in self.jobs.values():
            confirmed, unknown = self._results(job)
            fault = marker(job.prompt)
            told = self._failure_told(job)
            if fault in FAILING:
                expected = texts.text(FAILING[fault])
                assert (job.status, confirmed + unknown, told) == (
                    JobStatus.FAILED,
                    [],
                    [expected],
                ), (job, told)
                outcomes[f"failed:{fault}"] += 1
            elif unknown or self._input_failed(job):
                # Never sent twice: failed, told, not charged (the photo may be there).
                assert (job.status, confirmed, len(told)) == (JobStatus.FAILED, [], 1), (job, told)
                assert len([c for c in unknown if c.ok]) <= 1, unknown
                outcomes["failed:telegram"] += 1
            else:
                assert job.status is JobStatus.DELIVERED, (job, told)
                assert (len(confirmed), told) == (1, []), (job, confirmed, told)
                outcomes[f"delivered:{job.kind.value}"] += 1
        return outcomes

    # Answers --------------------------------------------------------------------------------

    def check_answers(self) -> None:
        """Each message got the answer it should have; those not for the bot, none."""
        expected: dict[int, Counter[str]] = defaultdict(Counter)
        for sent in self.traffic.sent:
            if sent.want is Want.TEXT:
                expected[sent.chat_id][str(sent.answer)] += 1
            elif sent.want is Want.NOTHING:
                quoted = [
                    c
                    for c in self.calls
                    if c.ok
                    and _reply_to(c) == sent.message_id
                    and c.params.get("chat_id") == sent.chat_id
                ]
                assert quoted == [], (sent, quoted)
            elif sent.want is Want.FOREIGN_PRESS:
                self._check_press_answer(sent, texts.text("button_foreign"))
            elif sent.want is Want.PRESS:
                self._check_press_answer(sent, None)
        for chat_id, wanted in expected.items():
            got = self.texts_in(chat_id)
            for text, count in wanted.items():
                assert got[text] == count, (chat_id, text, got[text], count)
        for name, burst in self.traffic.bursts.items():
            asked = sum(1 for s in self.traffic.sent if s.burst == name)
            got = self.texts_in(burst.chat_id)
            got.update(str(c.params.get("caption")) for c in self._ok("sendPhoto", burst.chat_id))
            refused = sum(n for t, n in got.items() if t.startswith(burst.refusal_prefix))
            assert refused == asked - burst.admitted, (name, refused, got)

    def _check_press_answer(self, sent: Sent, text: str | None) -> None:
        query_id = sent.update["callback_query"]["id"]
        answers = [
            c
            for c in self.calls
            if c.method == "answerCallbackQuery"
            and c.ok
            and c.params["callback_query_id"] == query_id
        ]
        assert [c.params.get("text") for c in answers] == [text], (sent, answers)

    def check_payment_answers(self) -> None:
        """Invoices shown (QR and text), and each invoice's fate told once."""
        for sent in self.traffic.sent:
            if sent.want not in (Want.INVOICE, Want.TOPUP):
                continue
            qrs = [c for c in self._ok("sendPhoto", sent.chat_id) if not _callback_data(c)]
            bolt11s = [t for t in self.texts_in(sent.chat_id) if t.startswith("lnbcrt")]
            assert (len(qrs), len(bolt11s)) == (1, 1), (sent, qrs, bolt11s)
            got = self.texts_in(sent.chat_id)
            if sent.want is Want.TOPUP:
                told = texts.text("payment_topup_credited", amount=sent.amount, balance=sent.amount)
            elif sent.fate in (Fate.PAID, Fate.UNNOTICED):
                told = texts.text("payment_job_paid", amount=sent.amount, balance=0)
            elif sent.fate is Fate.EXPIRED:
                prompt = str(sent.update["message"]["text"]).removeprefix("/generate ")
                told = texts.text("payment_expired_request", amount=sent.amount, prompt=prompt)
            else:
                continue
            assert got[told] == 1, (sent, got)

    # Money ----------------------------------------------------------------------------------

    async def check_ledger(self, price_each: dict[JobKind, int]) -> None:
        """Balances: starting credits + paid invoices - the price of each delivered image;
        nothing held but the credit kept for requests whose invoices stay unpaid; each
        capture counted once in the revenue."""
        spent: Counter[int] = Counter()
        for job in self.jobs.values():
            if job.status is JobStatus.DELIVERED:
                spent[job.user_id] += price_each[job.kind] * job.num_images
        users = {s.user_id for s in self.traffic.sent} | set(self.traffic.seeded)  # everyone
        ledger = self.stack.runtime.payments
        assert ledger is not None
        kept: Counter[int] = Counter()  # credit kept for a request whose invoice is unpaid
        for record in await ledger.ledger.pending_invoices():
            parked = await self.stack.runtime.store.get_job(record.job_id or "")
            if parked is not None:
                price = price_each[parked.kind] * parked.num_images
                kept[record.user_id] += price - record.amount_sats
        for user_id in sorted(users):
            expected = self.traffic.seeded[user_id] + self.traffic.paid[user_id] - spent[user_id]
            balance = await ledger.balance(user_id)
            wanted = Balance(expected - kept[user_id], kept[user_id])
            assert balance == wanted, (user_id, balance, wanted)
        revenue = await self.stack.runtime.stats.counter(REVENUE_SATS)
        assert revenue == sum(spent.values())
        pending = {p.invoice_id for p in await ledger.ledger.pending_invoices()}
        assert pending == self.traffic.never_paid
