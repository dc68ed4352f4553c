"""The Details button under a result: its seed, model and size, in the button's pop-up,
so that ``--seed`` can make the same image again."""

from __future__ import annotations

import structlog
from telegram import Update
from telegram.ext import BaseHandler, CallbackQueryHandler, ContextTypes

from bot import texts
from bot.intake.admission import answer_press
from bot.language import language_of
from bot.results.buttons import Action, parse_press
from orchestrator.frontend import JobSubmitter
from state.errors import StateError

log = structlog.get_logger(__name__)


class DetailsButton:
    def __init__(self, submitter: JobSubmitter) -> None:
        self._submitter = submitter

    def handlers(self) -> list[BaseHandler]:  # type: ignore[type-arg]
        return [CallbackQueryHandler(self.press, pattern=f"^{Action.DETAILS.value}:")]

    async def press(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        language = language_of(update)
        press = parse_press(query.data)
        try:
            job = await self._submitter.get_job(press.job_id) if press is not None else None
        except StateError as exc:
            log.error("details_unavailable", error=repr(exc))
            await answer_press(query, texts.text("state_unavailable", language))
            return
        if job is None or job.seed is None:
            await answer_press(query, texts.text("button_expired", language))
            return
        size = (job.result_size or "?").replace("x", "\N{MULTIPLICATION SIGN}")
        text = texts.text(
            "result_details", language, seed=job.seed, model=job.model or "?", size=size
        )
        await answer_press(query, text)
