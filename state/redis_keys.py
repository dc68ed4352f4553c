"""Every Redis key Fulmine uses, built in this one place under one prefix.

Several bots (or test runs) can share a Redis by giving each its own prefix. A future
Redis Cluster deployment would put a hash tag in the prefix (``{fulmine}:``) so that the
keys one Lua script touches live in one slot.
"""

from __future__ import annotations

import datetime as dt


class RedisKeys:
    def __init__(self, prefix: str) -> None:
        self.prefix = prefix

    def seen(self, key: str) -> str:
        return f"{self.prefix}seen:{key}"

    def job(self, job_id: str) -> str:
        return f"{self.prefix}job:{job_id}"

    def window(self, key: str) -> str:
        return f"{self.prefix}rate:{key}"

    @property
    def in_flight(self) -> str:
        return f"{self.prefix}in-flight"

    def counter(self, name: str, day: dt.date | None = None) -> str:
        bucket = "" if day is None else f":{day.isoformat()}"
        return f"{self.prefix}counter:{name}{bucket}"

    def user_settings(self, user_id: int) -> str:
        return f"{self.prefix}user:{user_id}:settings"

    def pace(self, bucket: str) -> str:
        return f"{self.prefix}pace:{bucket}"

    def kept(self, key: str) -> str:
        return f"{self.prefix}kept:{key}"

    def sent_image(self, chat_id: int, message_id: int) -> str:
        return f"{self.prefix}sent:{chat_id}:{message_id}"

    def mark(self, payload: int) -> str:
        return f"{self.prefix}mark:{payload:012x}"

    def original(self, job_id: str, index: int) -> str:
        return f"{self.prefix}original:{job_id}:{index}"

    # Payment ledger: state/ledger_redis.py.
    def ledger_account(self, user_id: int) -> str:
        return f"{self.prefix}ledger:account:{user_id}"

    def ledger_entry(self, key: str) -> str:
        return f"{self.prefix}ledger:entry:{key}"

    def ledger_movements(self, user_id: int) -> str:
        return f"{self.prefix}ledger:movements:{user_id}"

    def ledger_free(self, user_id: int, day: dt.date) -> str:
        return f"{self.prefix}ledger:free:{user_id}:{day.isoformat()}"

    def ledger_invoice(self, invoice_id: str) -> str:
        return f"{self.prefix}ledger:invoice:{invoice_id}"

    @property
    def ledger_pending(self) -> str:
        return f"{self.prefix}ledger:pending"

    def ledger_pending_of(self, user_id: int) -> str:
        return f"{self.prefix}ledger:pending:user:{user_id}"

    @property
    def ledger_held(self) -> str:
        """Reservations not yet settled: job id -> when reserved (s, the server's clock)."""
        return f"{self.prefix}ledger:held"

    @property
    def ledger_parked(self) -> str:
        """Parked reservations (waiting for an invoice): job id -> when parked (s)."""
        return f"{self.prefix}ledger:parked"

    # Moderation: the latest blocks, each user's blocks by time, banned users.
    @property
    def moderation_blocks(self) -> str:
        return f"{self.prefix}moderation:blocks"

    def moderation_user_blocks(self, user_id: int) -> str:
        return f"{self.prefix}moderation:user:{user_id}:blocks"

    @property
    def moderation_bans(self) -> str:
        return f"{self.prefix}moderation:bans"

    # The Mini App's gallery: each user's entry ids by time, and the entries by id.
    def history_order(self, user_id: int) -> str:
        return f"{self.prefix}history:{user_id}:order"

    def history(self, user_id: int) -> str:
        return f"{self.prefix}history:{user_id}:entries"

    def stats_users(self, day: dt.date | None = None) -> str:
        bucket = "" if day is None else f":{day.isoformat()}"
        return f"{self.prefix}stats:users{bucket}"

    def stats_latency(self, provider: str, day: dt.date) -> str:
        return f"{self.prefix}stats:latency:{provider}:{day.isoformat()}"

    @property
    def job_stream(self) -> str:
        """Jobs handed to workers and not yet acknowledged."""
        return f"{self.prefix}jobs"

    # Jobs waiting their turn (state/redis_queue_scripts.py builds these from the prefix).
    @property
    def queue_prefix(self) -> str:
        return f"{self.prefix}queue:"

    @property
    def queue_wake(self) -> str:
        return f"{self.queue_prefix}wake"

    @property
    def queue_jobs(self) -> str:
        return f"{self.queue_prefix}jobs"

    # Not a key: the consumer group every worker reads the job stream through.
    WORKERS_GROUP = "workers"
